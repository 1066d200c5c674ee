/**
 * Delivers alert notices to their notifiers in the background, retrying with exponential backoff.
 * `send` never blocks: ingest and evaluation never wait on a slow or dead receiver.
 */
import type { AlertNotice } from "./engine.ts";
import { createEmailSender, type SendResult } from "./email.ts";
import { formatRequest } from "./formats.ts";
import type { NotifierConfig } from "./rules.ts";

export interface DeliveryAttempt {
  notifier: string;
  alertKey: string;
  /** When the alert fired (with alertKey, identifies the alert). */
  firedAt: number | null;
  transition: AlertNotice["transition"];
  ok: boolean;
  attempt: number;
  /** True when no further attempt will be made (success or attempts exhausted). */
  final: boolean;
  status: number | null;
  error: string | null;
  at: number;
}

export interface DispatcherOptions {
  notifiers: NotifierConfig[];
  /** The dashboard's address, for links in e-mails. */
  dashboardUrl?: () => string;
  fetch?: typeof fetch;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Most deliveries in flight; past it the oldest waiting retries are given up. */
  maxInFlight?: number;
  onAttempt?: (attempt: DeliveryAttempt) => void;
  now?: () => number;
}

/**
 * A delivery failure in words, with its cause (fetch says only "fetch failed"), and without the
 * notifier's URL, whose path is often the secret (Slack, Discord).
 */
export function describeFailure(error: unknown, url: string): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 3; e = (e as Error).cause) {
    const text = e instanceof Error ? e.message : String(e);
    if (text && !parts.includes(text)) parts.push(text);
    if (!(e instanceof Error)) break;
  }
  const origin = new URL(url).origin;
  return parts.join(": ").split("\n")[0].replaceAll(url, origin).replace(
    /https?:\/\/[^\s"')]+/g,
    (found) => (found.startsWith(origin) ? origin : found),
  );
}

export class Dispatcher {
  readonly #notifiers: Map<string, NotifierConfig>;
  readonly #options:
    & Required<Omit<DispatcherOptions, "notifiers" | "onAttempt" | "dashboardUrl">>
    & Pick<DispatcherOptions, "onAttempt">;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #senders = new Map<string, (notice: AlertNotice) => Promise<SendResult>>();
  readonly #closers: (() => void)[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#notifiers = new Map(options.notifiers.map((n) => [n.name, n]));
    this.#options = {
      fetch: options.fetch ?? fetch,
      maxAttempts: options.maxAttempts ?? 6,
      baseDelayMs: options.baseDelayMs ?? 2_000,
      maxDelayMs: options.maxDelayMs ?? 120_000,
      timeoutMs: options.timeoutMs ?? 10_000,
      maxInFlight: options.maxInFlight ?? 200,
      onAttempt: options.onAttempt,
      now: options.now ?? Date.now,
    };
    for (const notifier of options.notifiers) {
      if (notifier.type === "email") {
        const email = createEmailSender(notifier, {
          dashboardUrl: options.dashboardUrl ?? (() => "http://localhost:7863"),
          timeoutMs: this.#options.timeoutMs,
        });
        this.#senders.set(notifier.name, email.send);
        this.#closers.push(email.close);
      } else {
        this.#senders.set(notifier.name, (notice) => this.#post(formatRequest(notifier, notice)));
      }
    }
  }

  /** Number of deliveries not yet finished. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /** Queues the notice for every notifier the rule names (all when it names none). */
  send(notice: AlertNotice): void {
    if (this.#closed || !notice.deliver) return;
    const names = notice.rule.notify.length > 0 ? notice.rule.notify : [...this.#notifiers.keys()];
    for (const name of names) {
      const notifier = this.#notifiers.get(name);
      if (!notifier) continue;
      if (this.#inFlight.size >= this.#options.maxInFlight) {
        this.#report(notifier, notice, 0, true, null, "delivery queue full: notice dropped");
        continue;
      }
      const job = this.#deliver(notifier, notice).finally(() => this.#inFlight.delete(job));
      this.#inFlight.add(job);
    }
  }

  /** Resolves once every queued delivery has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops retrying; deliveries in progress finish their current attempt. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const close of this.#closers) close();
  }

  async #deliver(notifier: NotifierConfig, notice: AlertNotice): Promise<void> {
    const send = this.#senders.get(notifier.name)!;
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.#options;
    for (let attempt = 1; attempt <= maxAttempts && !this.#closed; attempt++) {
      const { status, error, permanent } = await send(notice);
      const ok = error === null;
      const final = ok || permanent || attempt === maxAttempts;
      this.#report(notifier, notice, attempt, final, status, error);
      if (ok) return;
      if (final) return;
      const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) *
        (0.75 + Math.random() * 0.5);
      await this.#sleep(delay);
    }
  }

  async #post(request: ReturnType<typeof formatRequest>): Promise<SendResult> {
    try {
      const response = await this.#options.fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
        redirect: "manual",
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) {
        return { status: response.status, error: null, permanent: false };
      }
      return {
        status: response.status,
        error: `HTTP ${response.status} ${response.statusText}`.trim(),
        permanent: false,
      };
    } catch (error) {
      return { status: null, error: describeFailure(error, request.url), permanent: false };
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  #report(
    notifier: NotifierConfig,
    notice: AlertNotice,
    attempt: number,
    final: boolean,
    status: number | null,
    error: string | null,
  ): void {
    this.#options.onAttempt?.({
      notifier: notifier.name,
      alertKey: notice.alert.key,
      firedAt: notice.alert.firedAt,
      transition: notice.transition,
      ok: error === null,
      attempt,
      final,
      status,
      error,
      at: this.#options.now(),
    });
  }
}
