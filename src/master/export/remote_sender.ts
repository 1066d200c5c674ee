/**
 * Sends one remote's queued batches, oldest first, one request at a time: on 2xx the batch is
 * deleted; on 429, 5xx or a network error it stays and is retried with capped exponential
 * backoff; on any other 4xx the database will never take it, so it is deleted with a log line
 * that says why (and counted).
 */
import { type BackoffOptions, createBackoff } from "../../worker/backoff.ts";
import type { DiskQueue, QueuedBatch } from "./disk_queue.ts";

export type RemoteKind = "remote-write" | "influx";

/** Where and how one remote is written. */
export interface RemoteTarget {
  kind: RemoteKind;
  /** The request URL (credentials moved into `headers`). */
  url: string;
  /** The URL without credentials or query: for logs and the `remote` label. */
  display: string;
  /** Authorization, content type and custom headers. */
  headers: Record<string, string>;
}

/** What /metrics reports per remote. */
export interface RemoteStats {
  remote: string;
  kind: RemoteKind;
  queueBatches: number;
  queueBytes: number;
  queuePoints: number;
  pointsSent: number;
  /** Request body bytes the remote accepted (compressed, as on the wire). */
  bytesSent: number;
  /** Points dropped: the queue was full, the database refused them (4xx), or the disk failed. */
  dropped: { queue_full: number; rejected: number; disk_error: number };
  requestsFailed: number;
  /** ms since the epoch of the last accepted request, 0 before. */
  lastSuccess: number;
}

export interface SenderOptions {
  log: (line: string) => void;
  client?: Deno.HttpClient;
  backoff?: BackoffOptions;
  /** Most time for one request (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_SEND_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

type Outcome = { ok: true } | { ok: false; retry: boolean; why: string };

export class RemoteSender {
  readonly target: RemoteTarget;
  readonly queue: DiskQueue;
  readonly #opts: SenderOptions;
  readonly #backoff;
  readonly #stop = new AbortController();
  #wake: (() => void) | null = null;
  #woken = false;
  #running: Promise<void> | null = null;
  #outageSince = 0;
  pointsSent = 0;
  bytesSent = 0;
  droppedRejected = 0;
  droppedDiskError = 0;
  requestsFailed = 0;
  lastSuccess = 0;

  constructor(target: RemoteTarget, queue: DiskQueue, options: SenderOptions) {
    this.target = target;
    this.queue = queue;
    this.#opts = options;
    this.#backoff = createBackoff(options.backoff ?? DEFAULT_SEND_BACKOFF);
  }

  /** Starts the send loop. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** A batch was queued: send it if the loop is idle. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Ends the loop (an unfinished request is aborted; its batch stays queued). */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.wake();
    await this.#running;
  }

  /** Resolves once the queue is empty, or after `ms`. */
  async drained(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (this.queue.batches > 0 && Date.now() < until) await sleep(50);
    return this.queue.batches === 0;
  }

  stats(): RemoteStats {
    return {
      remote: this.target.display,
      kind: this.target.kind,
      queueBatches: this.queue.batches,
      queueBytes: this.queue.bytes,
      queuePoints: this.queue.points,
      pointsSent: this.pointsSent,
      bytesSent: this.bytesSent,
      dropped: {
        queue_full: this.queue.droppedPoints,
        rejected: this.droppedRejected,
        disk_error: this.droppedDiskError,
      },
      requestsFailed: this.requestsFailed,
      lastSuccess: this.lastSuccess,
    };
  }

  async #loop(): Promise<void> {
    const stopped = this.#stop.signal;
    while (!stopped.aborted) {
      this.#woken = false;
      const head = await this.#head();
      if (!head) {
        if (!this.#woken && !stopped.aborted) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
        }
        this.#wake = null;
        continue;
      }
      const outcome = await this.#post(head.body);
      if (stopped.aborted && !outcome.ok) break;
      if (outcome.ok) await this.#delivered(head.batch);
      else if (!outcome.retry) await this.#refused(head.batch, outcome.why);
      else await this.#failed(head.batch, outcome.why);
    }
  }

  async #head(): Promise<{ batch: QueuedBatch; body: Uint8Array } | undefined> {
    for (;;) {
      try {
        return await this.queue.head();
      } catch (error) {
        // The file vanished or cannot be read: nothing to send from it.
        const batch = this.queue.peekId();
        if (!batch) return undefined;
        this.#opts.log(
          `remote ${this.target.display}: queued batch ${batch.id} is unreadable (${
            String(error)
          }); dropped ${batch.points} points`,
        );
        this.droppedRejected += batch.points;
        await this.queue.remove(batch).catch(() => {});
      }
    }
  }

  // Counted before the queue file is removed: the endpoint took the batch whatever the removal
  // does, and whoever sees the queue empty sees the counts that emptied it.
  async #delivered(batch: QueuedBatch): Promise<void> {
    this.pointsSent += batch.points;
    this.bytesSent += batch.bytes;
    this.lastSuccess = Date.now();
    await this.queue.remove(batch);
    if (this.#outageSince) {
      const seconds = Math.round((Date.now() - this.#outageSince) / 1000);
      this.#opts.log(
        `remote ${this.target.display}: reachable again after ${seconds} s; ${this.queue.batches} batches still queued`,
      );
      this.#outageSince = 0;
    }
    this.#backoff.reset();
  }

  async #refused(batch: QueuedBatch, why: string): Promise<void> {
    this.#opts.log(
      `remote ${this.target.display} refused a batch for good (${why}); dropped its ${batch.points} points`,
    );
    this.droppedRejected += batch.points;
    await this.queue.remove(batch);
  }

  async #failed(batch: QueuedBatch, why: string): Promise<void> {
    this.requestsFailed++;
    this.queue.release(batch);
    if (!this.#outageSince) {
      this.#outageSince = Date.now();
      this.#opts.log(
        `remote ${this.target.display}: write failed (${why}); keeping batches on disk and retrying`,
      );
    }
    await sleep(this.#backoff.next(), this.#stop.signal);
  }

  async #post(body: Uint8Array): Promise<Outcome> {
    const signal = AbortSignal.any([
      this.#stop.signal,
      AbortSignal.timeout(this.#opts.timeoutMs ?? 30_000),
    ]);
    let response: Response;
    try {
      response = await fetch(this.target.url, {
        method: "POST",
        headers: this.target.headers,
        body: body as Uint8Array<ArrayBuffer>,
        signal,
        ...(this.#opts.client ? { client: this.#opts.client } : {}),
      });
    } catch (error) {
      return { ok: false, retry: true, why: describeError(error) };
    }
    const text = await response.text().catch(() => "");
    if (response.ok) return { ok: true };
    const why = `HTTP ${response.status}${text ? `: ${text.trim().slice(0, 300)}` : ""}`;
    const retry = response.status >= 500 || response.status === 429 || response.status === 408;
    return { ok: false, retry, why };
  }
}

function describeError(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  let message = error instanceof Error ? error.message : String(error);
  // fetch's TypeError says only "fetch failed"; the reason (refused, TLS, DNS) is its cause.
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause) message += `: ${cause instanceof Error ? cause.message : String(cause)}`;
  return message.split("\n")[0];
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
