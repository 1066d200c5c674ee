/**
 * The alert state machine. Fed samples, machine status changes and anomaly events; tells its
 * `notify` callback when an alert fires, repeats or recovers. Pure and clock-driven (every method
 * takes `now`), so tests replay any timeline exactly.
 *
 * One alert instance per (rule, machine, device): pending while the condition holds for less
 * than the rule's `for`, firing after; a condition that clears while pending resets it silently.
 */
import { parseDeviceKey } from "../protocol/metrics.ts";
import type { AlertRule, Comparison, SilenceConfig } from "./rules.ts";
import { silenceCovers } from "./silences.ts";

export interface AlertMachine {
  id: string;
  name: string;
}

/** An alert instance the engine tracks. */
export interface AlertState {
  key: string;
  rule: string;
  kind: AlertRule["kind"];
  severity: AlertRule["severity"];
  machineId: string;
  machineName: string;
  /** Device (disk, interface, mount ...) for per-device metrics. */
  device: string | null;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  op: Comparison | null;
  /** When the condition started to hold. */
  since: number;
  /** When the alert fired; null while pending. */
  firedAt: number | null;
  /** Last notification sent for this alert; null when none was (e.g. silenced). */
  notifiedAt: number | null;
  resolvedAt: number | null;
  silenced: boolean;
  message: string;
}

export type AlertTransition = "firing" | "repeat" | "resolved";

export interface AlertNotice {
  transition: AlertTransition;
  alert: AlertState;
  rule: AlertRule;
  /** False when the notice is only for the record (silenced, or recovery notices turned off). */
  deliver: boolean;
}

export interface AnomalyEventInput {
  id: number;
  start: number;
  end: number | null;
  peakScore: number;
  reason: string;
}

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
};

/** Formats a metric value for people: 97.3 %, 12.4 MiB/s ... */
export function formatValue(metric: string | null, value: number | null): string {
  if (value === null) return "n/a";
  const field = metric ? (parseDeviceKey(metric)?.field ?? metric) : "";
  if (/pct|usage|Pct|some|full/i.test(field) || field.startsWith("cpu.")) {
    return `${round(value)} %`;
  }
  if (/Bps$/.test(field)) return `${bytes(value)}/s`;
  if (/^mem\.(total|used|available|cached|buffers|swap)|^(size|used)$/.test(field)) {
    return bytes(value);
  }
  return String(round(value));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function bytes(value: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${round(v)} ${units[i]}`;
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

export class AlertEngine {
  readonly #rules: AlertRule[];
  #silences: SilenceConfig[];
  readonly #notify: (notice: AlertNotice) => void;
  readonly #states = new Map<string, AlertState>();
  /** Machines currently offline, with the time they went offline. */
  readonly #offlineSince = new Map<string, { machine: AlertMachine; since: number }>();

  constructor(options: {
    rules: AlertRule[];
    silences: SilenceConfig[];
    notify: (notice: AlertNotice) => void;
    /** Alerts that were firing before a restart: they are not announced again. */
    restore?: AlertState[];
  }) {
    this.#rules = options.rules;
    this.#silences = [...options.silences];
    this.#notify = options.notify;
    for (const state of options.restore ?? []) this.#states.set(state.key, { ...state });
  }

  /** Alerts pending or firing now. */
  active(): AlertState[] {
    return [...this.#states.values()].map((s) => ({ ...s }));
  }

  /** Replaces the silences (file plus those added at run time). */
  setSilences(silences: SilenceConfig[]): void {
    this.#silences = [...silences];
  }

  /** Evaluates every threshold rule against one machine's newest values. */
  observeSample(machine: AlertMachine, values: Map<string, number>, now: number): void {
    this.#offlineSince.delete(machine.id);
    for (const rule of this.#rules) {
      if (rule.kind === "offline") this.#clear(`${rule.name}|${machine.id}|`, now);
      if (rule.kind !== "threshold" || !this.#inScope(rule, machine)) continue;
      for (const [metric, device] of this.#matchingMetrics(rule, values)) {
        const value = values.get(metric)!;
        const key = `${rule.name}|${machine.id}|${device ?? ""}`;
        if (COMPARE[rule.op!](value, rule.threshold!)) {
          this.#hold(rule, key, machine, now, { metric, device, value });
        } else {
          this.#clear(key, now, value);
        }
      }
    }
  }

  /** A machine went offline (or came back). Offline alerts fire after the rule's delay. */
  observeStatus(machine: AlertMachine, online: boolean, now: number): void {
    if (online) {
      this.#offlineSince.delete(machine.id);
      for (const rule of this.#rules) {
        if (rule.kind === "offline") this.#clear(`${rule.name}|${machine.id}|`, now);
      }
    } else if (!this.#offlineSince.has(machine.id)) {
      this.#offlineSince.set(machine.id, { machine, since: now });
      this.tick(now);
    }
  }

  /** An anomaly event opened, changed or closed. */
  observeAnomaly(machine: AlertMachine, event: AnomalyEventInput, now: number): void {
    for (const rule of this.#rules) {
      if (rule.kind !== "anomaly" || !this.#inScope(rule, machine)) continue;
      const key = `${rule.name}|${machine.id}|${event.id}`;
      if (event.end === null) {
        this.#hold(rule, key, machine, now, {
          metric: event.reason,
          device: null,
          value: event.peakScore,
        }, event.start);
      } else {
        this.#clear(key, now);
      }
    }
  }

  /** Advances time: offline delays, sustain windows with no new sample, repeats, silences ending. */
  tick(now: number): void {
    for (const { machine, since } of this.#offlineSince.values()) {
      for (const rule of this.#rules) {
        if (rule.kind !== "offline" || !this.#inScope(rule, machine)) continue;
        this.#hold(rule, `${rule.name}|${machine.id}|`, machine, now, {
          metric: null,
          device: null,
          value: null,
        }, since);
      }
    }
    for (const state of this.#states.values()) {
      const rule = this.#rules.find((r) => r.name === state.rule);
      if (rule) this.#advance(rule, state, now);
    }
  }

  #inScope(rule: AlertRule, machine: AlertMachine): boolean {
    return !rule.machines || rule.machines.test(machine.name) || rule.machines.test(machine.id);
  }

  /** Metric keys in `values` that the rule watches, with their device names. */
  *#matchingMetrics(
    rule: AlertRule,
    values: Map<string, number>,
  ): Iterable<[string, string | null]> {
    const wanted = parseDeviceKey(rule.metric!);
    if (!wanted) {
      if (values.has(rule.metric!)) yield [rule.metric!, null];
      return;
    }
    if (wanted.name !== "*") {
      if (values.has(rule.metric!)) yield [rule.metric!, wanted.name];
      return;
    }
    const prefix = `${wanted.family}:`;
    const suffix = `:${wanted.field}`;
    for (const key of values.keys()) {
      if (key.startsWith(prefix) && key.endsWith(suffix)) yield [key, parseDeviceKey(key)!.name];
    }
  }

  #hold(
    rule: AlertRule,
    key: string,
    machine: AlertMachine,
    now: number,
    observed: { metric: string | null; device: string | null; value: number | null },
    since = now,
  ): void {
    let state = this.#states.get(key);
    if (!state) {
      state = {
        key,
        rule: rule.name,
        kind: rule.kind,
        severity: rule.severity,
        machineId: machine.id,
        machineName: machine.name,
        device: observed.device,
        metric: observed.metric,
        value: observed.value,
        threshold: rule.threshold ?? null,
        op: rule.op ?? null,
        since,
        firedAt: null,
        notifiedAt: null,
        resolvedAt: null,
        silenced: false,
        message: "",
      };
      this.#states.set(key, state);
    }
    state.machineName = machine.name;
    state.value = observed.value;
    state.metric = observed.metric ?? state.metric;
    this.#advance(rule, state, now);
  }

  #advance(rule: AlertRule, state: AlertState, now: number): void {
    state.silenced = this.#silences.some((s) =>
      silenceCovers(s, rule.name, { id: state.machineId, name: state.machineName }, now)
    );
    state.message = describe(rule, state, now);
    if (state.firedAt === null) {
      if (now - state.since < rule.forMs) return;
      state.firedAt = now;
      if (state.silenced) {
        this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: false });
        return;
      }
    }
    if (state.silenced) return;
    if (state.notifiedAt === null) {
      state.notifiedAt = now;
      this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: true });
    } else if (rule.repeatMs !== null && now - state.notifiedAt >= rule.repeatMs) {
      state.notifiedAt = now;
      this.#notify({ transition: "repeat", alert: { ...state }, rule, deliver: true });
    }
  }

  #clear(key: string, now: number, value?: number): void {
    const state = this.#states.get(key);
    if (!state) return;
    this.#states.delete(key);
    const rule = this.#rules.find((r) => r.name === state.rule);
    if (!rule || state.firedAt === null) return; // was only pending: nothing to say
    state.resolvedAt = now;
    if (value !== undefined) state.value = value;
    state.message = describe(rule, state, now);
    const deliver = rule.recovery && state.notifiedAt !== null;
    this.#notify({ transition: "resolved", alert: { ...state }, rule, deliver });
  }
}

function describe(rule: AlertRule, state: AlertState, now: number): string {
  const who = state.machineName;
  const resolved = state.resolvedAt !== null;
  switch (rule.kind) {
    case "threshold": {
      const what = state.device ? `${state.metric}` : rule.metric!;
      const value = formatValue(state.metric, state.value);
      const limit = formatValue(state.metric, rule.threshold!);
      if (resolved) return `${what} on ${who} is back to ${value} (limit ${rule.op} ${limit})`;
      const held = rule.forMs > 0 ? ` for ${describeDuration(rule.forMs)}` : "";
      return `${what} on ${who} is ${value} (${rule.op} ${limit}${held})`;
    }
    case "offline":
      return resolved
        ? `${who} is back online`
        : `${who} has been offline for ${describeDuration(now - state.since)}`;
    case "anomaly":
      return resolved
        ? `Anomaly on ${who} ended (cause: ${state.metric})`
        : `Anomaly on ${who}: ${state.metric} (score ${(state.value ?? 0).toFixed(2)})`;
  }
}
