/**
 * The alert state machine. Fed samples, machine status changes and anomaly events; tells its
 * `notify` callback when an alert fires, repeats, ends, or is found late. Pure and clock-driven:
 * every method takes its times, so tests replay any timeline exactly.
 *
 * Two clocks. Conditions run on sample time (`at`): an alert fires at the sample where its
 * condition had held for the rule's `for`, and ends at the first sample where it no longer holds,
 * however late those samples arrive. Offline delays, repeats and "now" run on the wall clock
 * (`wall`). An alert that fires on data arriving more than LATE_AFTER_MS after it was sampled (a
 * back-fill, a spool replayed after an outage) is found late: recorded with its own times, not
 * announced as news. If it also ends in that data, it is told once, as a past event; if it still
 * holds once the machine's data is current again, it is announced then, saying since when.
 *
 * One alert instance per (rule, machine, device): pending while the condition holds for less
 * than the rule's `for`, firing after; a condition that clears while pending resets it silently.
 * An alert ends with a reason: its condition cleared, the machine went offline (after the offline
 * grace), the master restarted, the machine was removed or marked as expected to be offline.
 */
import { describeCauseWithProcesses } from "../protocol/describe_processes.ts";
import { describeAlert } from "./alert_text.ts";
import type {
  AlertMachine,
  AlertNotice,
  AlertState,
  AnomalyEventInput,
  CloseReason,
} from "./alert_types.ts";
import { COMPARE, matchingMetrics } from "./metric_match.ts";
import type { AlertRule, SilenceConfig } from "./rules.ts";
import { silenceCovers } from "./silences.ts";

export type {
  AlertMachine,
  AlertNotice,
  AlertState,
  AlertTransition,
  AnomalyEventInput,
  CloseReason,
} from "./alert_types.ts";

/** Data older than this when it arrives makes what it shows "found late". */
export const LATE_AFTER_MS = 60_000;
/** How long a machine is offline before its other alerts end, when no offline rule covers it. */
export const DEFAULT_OFFLINE_GRACE_MS = 120_000;

/** The detector's words for why an event closed, as an alert's close reason. */
const EVENT_CLOSE_REASONS: Record<string, CloseReason> = {
  recovered: "recovered",
  offline: "machine offline",
  restarted: "master restarted",
};

function closeReasonOf(eventReason: string | null | undefined): CloseReason {
  return EVENT_CLOSE_REASONS[eventReason ?? ""] ?? "recovered";
}

export class AlertEngine {
  readonly #rules: AlertRule[];
  #silences: SilenceConfig[];
  readonly #notify: (notice: AlertNotice) => void;
  readonly #states = new Map<string, AlertState>();
  /** The keys of #states per machine. */
  readonly #keysOf = new Map<string, Set<string>>();
  /** Machines currently offline, with the wall time they went offline. */
  readonly #offlineSince = new Map<string, { machine: AlertMachine; since: number }>();
  /** Machines a person marked as expected to be offline: no offline alert for them. */
  readonly #expectedOffline = new Set<string>();
  /** Newest sample time seen per machine. */
  readonly #newestAt = new Map<string, number>();
  /** Keys of found-late alerts not yet told. */
  readonly #untold = new Set<string>();
  /** Anomaly alerts ended before their event closed (machine offline): the event's later updates
   * must not fire them again. */
  readonly #endedEarly = new Set<string>();

  constructor(options: {
    rules: AlertRule[];
    silences: SilenceConfig[];
    notify: (notice: AlertNotice) => void;
    /** Alerts that were open before a restart: they are not announced again. */
    restore?: AlertState[];
    /** When restoring: the master's start (wall) and each machine's last sample before it. */
    restartedAt?: number;
    lastSeen?: (machineId: string) => number | undefined;
  }) {
    this.#rules = options.rules;
    this.#silences = [...options.silences];
    this.#notify = options.notify;
    for (const state of options.restore ?? []) {
      this.#put({ ...state });
      if (state.foundLate && state.notifiedAt === null) this.#untold.add(state.key);
    }
    // The detectors start afresh: anomaly events open before the restart were closed, and so
    // are their alerts. Threshold alerts wait for the machine's next samples (or its absence).
    const restartedAt = options.restartedAt ?? 0;
    for (const state of [...this.#states.values()]) {
      if (state.kind !== "anomaly") continue;
      const last = options.lastSeen?.(state.machineId) ?? restartedAt;
      this.#end(state.key, Math.max(state.firedAt ?? state.since, last), restartedAt, {
        reason: "master restarted",
      });
    }
  }

  /** Alerts pending or firing now. */
  active(): AlertState[] {
    return [...this.#states.values()].map((s) => ({ ...s }));
  }

  /** Replaces the silences (file plus those added at run time). */
  setSilences(silences: SilenceConfig[]): void {
    this.#silences = [...silences];
  }

  /**
   * A sample of `machine` taken at `at`, arriving at `wall`; `values` (flattened metrics) when
   * threshold rules need them. A sample older than one already seen changes nothing.
   */
  observeSample(
    machine: AlertMachine,
    values: Map<string, number> | null,
    at: number,
    wall = at,
  ): void {
    if (at < (this.#newestAt.get(machine.id) ?? -Infinity)) return;
    this.#newestAt.set(machine.id, at);
    if (this.#offlineSince.delete(machine.id)) this.#endOffline(machine.id, wall, "recovered");
    for (const rule of this.#rules) {
      const compares = rule.kind === "threshold" || rule.kind === "process";
      if (!compares || !values || !this.#inScope(rule, machine)) continue;
      for (const [metric, device] of matchingMetrics(rule, values)) {
        const value = values.get(metric)!;
        const key = `${rule.name}|${machine.id}|${device ?? ""}`;
        if (COMPARE[rule.op!](value, rule.threshold!)) {
          this.#hold(rule, key, machine, { metric, device, value }, at, at, wall);
        } else {
          this.#end(key, at, wall, { reason: "recovered", value });
        }
      }
    }
    for (const state of this.#statesOf(machine.id)) {
      const rule = this.#ruleOf(state);
      // An anomaly rule's `for` runs on the machine's sample time too.
      if (rule?.kind === "anomaly" && state.firedAt === null) this.#fire(rule, state, at, wall);
      // Current data again: found-late alerts that still hold are news now.
      if (rule && this.#untold.has(state.key) && wall - at <= LATE_AFTER_MS) {
        this.#announceLate(rule, state, wall);
      }
    }
  }

  /** A machine went offline (or came back), at wall time `wall`. */
  observeStatus(machine: AlertMachine, online: boolean, wall: number): void {
    if (online) {
      if (this.#offlineSince.delete(machine.id)) this.#endOffline(machine.id, wall, "recovered");
    } else if (!this.#offlineSince.has(machine.id)) {
      this.#offlineSince.set(machine.id, { machine, since: wall });
      this.tick(wall);
    }
  }

  /** An anomaly event opened, changed or closed (its times are sample times). */
  observeAnomaly(machine: AlertMachine, event: AnomalyEventInput, wall: number): void {
    for (const rule of this.#rules) {
      if (rule.kind !== "anomaly" || !this.#inScope(rule, machine)) continue;
      const key = `${rule.name}|${machine.id}|${event.id}`;
      if (this.#endedEarly.has(key)) {
        if (event.end !== null) this.#endedEarly.delete(key);
        continue;
      }
      if (event.end === null) {
        const main = event.causes?.[0];
        const observed = {
          metric: event.reason,
          device: null,
          value: event.peakScore,
          cause: main ? describeCauseWithProcesses(main, event.processes ?? []) : null,
        };
        this.#hold(rule, key, machine, observed, event.start, event.start, wall);
      } else {
        this.#end(key, event.end, wall, { reason: closeReasonOf(event.closeReason) });
      }
    }
  }

  /**
   * Marks a machine as expected to be offline (or not): its offline alert ends and no other
   * fires until the mark is lifted.
   */
  setExpectedOffline(machineId: string, expected: boolean, wall: number): void {
    if (!expected) {
      this.#expectedOffline.delete(machineId);
      const offline = this.#offlineSince.get(machineId);
      if (offline) offline.since = Math.max(offline.since, wall); // counts from now
      return;
    }
    this.#expectedOffline.add(machineId);
    this.#endOffline(machineId, wall, "expected offline");
  }

  /** Ends every alert of a removed machine, for the record only, and forgets the machine. */
  forgetMachine(machineId: string, wall: number): void {
    for (const state of this.#statesOf(machineId)) {
      const at = state.kind === "offline" ? wall : (this.#newestAt.get(machineId) ?? wall);
      this.#end(state.key, Math.max(at, state.firedAt ?? state.since), wall, {
        reason: "machine removed",
        deliver: false,
      });
    }
    this.#offlineSince.delete(machineId);
    this.#expectedOffline.delete(machineId);
    this.#newestAt.delete(machineId);
    for (const key of this.#endedEarly) {
      if (key.split("|")[1] === machineId) this.#endedEarly.delete(key);
    }
  }

  /** Advances the wall clock: offline delays, machines offline for good, repeats, silences. */
  tick(wall: number): void {
    for (const { machine, since } of this.#offlineSince.values()) {
      if (this.#expectedOffline.has(machine.id)) continue;
      for (const rule of this.#rules) {
        if (rule.kind !== "offline" || !this.#inScope(rule, machine)) continue;
        const observed = { metric: null, device: null, value: null };
        this.#hold(rule, `${rule.name}|${machine.id}|`, machine, observed, since, wall, wall);
      }
      if (wall - since >= this.#offlineGraceMs(machine)) this.#endWatched(machine.id, wall);
    }
    for (const state of this.#states.values()) {
      const rule = this.#ruleOf(state);
      if (!rule) continue;
      if (rule.kind === "offline" && state.firedAt === null) this.#fire(rule, state, wall, wall);
      else if (state.firedAt !== null) this.#remind(rule, state, wall);
    }
  }

  #put(state: AlertState): void {
    this.#states.set(state.key, state);
    let keys = this.#keysOf.get(state.machineId);
    if (!keys) this.#keysOf.set(state.machineId, keys = new Set());
    keys.add(state.key);
  }

  /** The machine's alert states (a copy of the list: callers may end them). */
  #statesOf(machineId: string): AlertState[] {
    return [...this.#keysOf.get(machineId) ?? []].map((key) => this.#states.get(key)!);
  }

  /** How long `machine` is offline before its other alerts end: its offline rule's delay. */
  #offlineGraceMs(machine: AlertMachine): number {
    let grace = Infinity;
    for (const rule of this.#rules) {
      if (rule.kind === "offline" && this.#inScope(rule, machine)) {
        grace = Math.min(grace, rule.forMs);
      }
    }
    return grace === Infinity ? DEFAULT_OFFLINE_GRACE_MS : grace;
  }

  #ruleOf(state: AlertState): AlertRule | undefined {
    return this.#rules.find((r) => r.name === state.rule);
  }

  #inScope(rule: AlertRule, machine: AlertMachine): boolean {
    return !rule.machines || rule.machines.test(machine.name) || rule.machines.test(machine.id);
  }

  #hold(
    rule: AlertRule,
    key: string,
    machine: AlertMachine,
    observed: {
      metric: string | null;
      device: string | null;
      value: number | null;
      cause?: string | null;
    },
    since: number,
    at: number,
    wall: number,
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
        cause: null,
        since,
        firedAt: null,
        notifiedAt: null,
        resolvedAt: null,
        closeReason: null,
        foundLate: false,
        detectedAt: null,
        silenced: false,
        message: "",
      };
      this.#put(state);
    }
    state.machineName = machine.name;
    state.value = observed.value;
    state.metric = observed.metric ?? state.metric;
    state.cause = observed.cause ?? state.cause;
    if (state.firedAt === null) this.#fire(rule, state, at, wall);
    else this.#remind(rule, state, wall);
  }

  /** Fires a pending alert once its condition has held for the rule's `for` (at `at`). */
  #fire(rule: AlertRule, state: AlertState, at: number, wall: number): void {
    if (at - state.since < rule.forMs) {
      state.message = describeAlert(rule, state, wall);
      return;
    }
    state.firedAt = at;
    state.detectedAt = wall;
    const dataAt = Math.max(at, this.#newestAt.get(state.machineId) ?? at);
    state.foundLate = rule.kind !== "offline" && wall - dataAt > LATE_AFTER_MS;
    state.silenced = this.#silenced(rule, state, at);
    state.message = describeAlert(rule, state, wall);
    if (state.foundLate) {
      this.#untold.add(state.key);
      this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: false });
      return;
    }
    if (state.silenced) {
      this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: false });
      return;
    }
    state.notifiedAt = wall;
    this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: true });
  }

  /** A firing alert as time passes: announced when its silence ends, repeated if asked. */
  #remind(rule: AlertRule, state: AlertState, wall: number): void {
    if (this.#untold.has(state.key)) return; // told once, when current data shows it
    state.silenced = this.#silenced(rule, state, wall);
    state.message = describeAlert(rule, state, wall);
    if (state.silenced) return;
    if (state.notifiedAt === null) {
      state.notifiedAt = wall;
      this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: true });
    } else if (rule.repeatMs !== null && wall - state.notifiedAt >= rule.repeatMs) {
      state.notifiedAt = wall;
      this.#notify({ transition: "repeat", alert: { ...state }, rule, deliver: true });
    }
  }

  #announceLate(rule: AlertRule, state: AlertState, wall: number): void {
    this.#untold.delete(state.key);
    state.silenced = this.#silenced(rule, state, wall);
    if (state.silenced) return; // #remind announces it when the silence ends
    state.notifiedAt = wall;
    state.message = describeAlert(rule, state, wall);
    this.#notify({ transition: "firing", alert: { ...state }, rule, deliver: true });
  }

  #silenced(rule: AlertRule, state: AlertState, at: number): boolean {
    const machine = { id: state.machineId, name: state.machineName };
    return this.#silences.some((s) => silenceCovers(s, rule.name, machine, at));
  }

  /** Ends an alert at `at` with a reason; a pending one ends silently. */
  #end(
    key: string,
    at: number,
    wall: number,
    how: { reason: CloseReason; value?: number; deliver?: boolean },
  ): void {
    const state = this.#states.get(key);
    if (!state) return;
    this.#states.delete(key);
    this.#keysOf.get(state.machineId)?.delete(key);
    const untold = this.#untold.delete(key);
    const rule = this.#ruleOf(state);
    if (!rule || state.firedAt === null) return; // was only pending: nothing to say
    state.resolvedAt = Math.max(at, state.firedAt);
    state.closeReason = how.reason;
    if (how.value !== undefined) state.value = how.value;
    state.message = describeAlert(rule, state, wall);
    if (untold) {
      // Began and ended in late data: its one notice, unless silenced when it fired.
      const deliver = how.deliver !== false && !state.silenced;
      this.#notify({ transition: "found-late", alert: { ...state }, rule, deliver });
      return;
    }
    const deliver = how.deliver !== false && rule.recovery && state.notifiedAt !== null;
    this.#notify({ transition: "resolved", alert: { ...state }, rule, deliver });
  }

  #endOffline(machineId: string, wall: number, reason: CloseReason): void {
    for (const state of this.#statesOf(machineId)) {
      if (state.kind === "offline") {
        this.#end(state.key, wall, wall, { reason });
      }
    }
  }

  /** The machine has been offline past the grace: what its data showed is no longer known. */
  #endWatched(machineId: string, wall: number): void {
    const last = this.#newestAt.get(machineId);
    for (const state of this.#statesOf(machineId)) {
      if (state.kind === "offline") continue;
      if (state.kind === "anomaly") this.#endedEarly.add(state.key);
      this.#end(state.key, last ?? wall, wall, { reason: "machine offline" });
    }
  }
}
