/**
 * Alerts in the master: the rules file, the engine, background delivery and the stored history,
 * wired together. The hub calls `onSample`, `onStatus` and `onAnomaly`; nothing here blocks ingest.
 */
import type { DatabaseSync } from "node:sqlite";
import { flattenSample } from "../protocol/metrics.ts";
import type { Sample } from "../protocol/sample.ts";
import { Dispatcher, type DispatcherOptions } from "./delivery.ts";
import {
  AlertEngine,
  type AlertMachine,
  type AlertNotice,
  type AlertState,
  type AnomalyEventInput,
} from "./engine.ts";
import { AlertHistory, type AlertRecord, type RuntimeSilence } from "./history.ts";
import type { AlertConfig } from "./rules.ts";
import { ProcessValues } from "./process_values.ts";

export interface AlertServiceOptions {
  config: AlertConfig;
  /** Where the rules came from: a file given with --alerts, or the built-in defaults. */
  source?: "file" | "built-in";
  db: DatabaseSync;
  log?: (message: string) => void;
  now?: () => number;
  /** Passed to the dispatcher (tests shorten the retry delays). */
  delivery?: Omit<DispatcherOptions, "notifiers" | "onAttempt" | "now">;
  tickMs?: number;
  /** The dashboard's address, for links in notifications. */
  dashboardUrl?: () => string;
  /** Each machine's last sample time before this start: where alerts the restart ended end. */
  lastSeen?: (machineId: string) => number | undefined;
}

export class AlertService {
  readonly config: AlertConfig;
  readonly source: "file" | "built-in";
  readonly #engine: AlertEngine;
  readonly #dispatcher: Dispatcher;
  readonly #history: AlertHistory;
  readonly #now: () => number;
  readonly #log: (message: string) => void;
  readonly #listeners = new Set<(notice: AlertNotice) => void>();
  readonly #tickMs: number;
  /** Threshold rules exist, so samples must be flattened into metric values. */
  readonly #thresholds: boolean;
  /** Process rules need each scan's process values (process_values.ts). */
  readonly #processRules: boolean;
  readonly #processValues = new ProcessValues();
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  /** Deliveries that have failed for good (for /healthz and the UI). */
  failedDeliveries = 0;

  constructor(options: AlertServiceOptions) {
    this.config = options.config;
    this.source = options.source ?? "file";
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((message) => console.error(message));
    this.#tickMs = options.tickMs ?? 1000;
    this.#thresholds = this.config.rules.some((r) => r.kind === "threshold");
    this.#processRules = this.config.rules.some((r) => r.kind === "process");
    this.#history = new AlertHistory(options.db);
    this.#history.resolveOrphans(new Set(this.config.rules.map((r) => r.name)), this.#now());
    this.#dispatcher = new Dispatcher({
      notifiers: this.config.notifiers,
      dashboardUrl: options.dashboardUrl,
      ...options.delivery,
      now: this.#now,
      onAttempt: (attempt) => {
        if (this.#stopped) return; // the database may already be closed
        this.#history.recordDelivery(attempt);
        if (!attempt.ok) {
          const next = attempt.final ? "giving up" : "will retry";
          this.#log(
            `alerts: delivery to ${attempt.notifier} failed (attempt ${attempt.attempt}, ${next}): ${attempt.error}`,
          );
          if (attempt.final) this.failedDeliveries++;
        }
      },
    });
    this.#engine = new AlertEngine({
      rules: this.config.rules,
      silences: this.#allSilences(),
      restore: this.#history.open(),
      restartedAt: this.#now(),
      lastSeen: options.lastSeen,
      notify: (notice) => {
        this.#history.record(notice);
        this.#dispatcher.send(notice);
        for (const listener of this.#listeners) listener(notice);
      },
    });
  }

  /** Registers a listener for every alert state change (the live feed, badges). */
  onChange(listener: (notice: AlertNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the clock that fires offline alerts and repeats. */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#tickMs);
  }

  /** Stops the clock and retries; outcomes of attempts still in flight are no longer recorded. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#dispatcher.close();
  }

  /** Resolves when no delivery is in flight (tests). */
  idle(): Promise<void> {
    return this.#dispatcher.idle();
  }

  tick(now = this.#now()): void {
    this.#engine.setSilences(this.#allSilences(now));
    this.#engine.tick(now);
  }

  /**
   * A committed sample: rules are evaluated at the sample's own time, so replayed samples keep
   * their timeline; `wall` (arrival) tells whether what they show was found late.
   */
  onSample(machine: AlertMachine, sample: Sample, wall = this.#now()): void {
    const values = this.#thresholds || this.#processRules ? flattenSample(sample) : null;
    if (values && this.#processRules) this.#processValues.add(machine.id, sample, values);
    this.#engine.observeSample(machine, values, sample.ts, wall);
  }

  onStatus(machine: AlertMachine, online: boolean, wall = this.#now()): void {
    this.#engine.observeStatus(machine, online, wall);
  }

  onAnomaly(machine: AlertMachine, event: AnomalyEventInput, wall = this.#now()): void {
    this.#engine.observeAnomaly(machine, event, wall);
  }

  /** A person marked the machine as expected to be offline (or lifted the mark). */
  setExpectedOffline(machineId: string, expected: boolean): void {
    this.#engine.setExpectedOffline(machineId, expected, this.#now());
  }

  /** The machine was removed: its alerts end, for the record only. */
  forgetMachine(machineId: string): void {
    this.#engine.forgetMachine(machineId, this.#now());
    this.#processValues.forget(machineId);
  }

  /**
   * Deletes up to `maxRows` of a removed machine's recorded alerts (call until it returns 0).
   * Forget the machine first, so no alert of it is open.
   */
  deleteMachineHistory(machineId: string, maxRows: number): number {
    return this.#history.deleteMachine(machineId, maxRows);
  }

  /** Alerts firing now (pending ones are left out). */
  active(): AlertState[] {
    return this.#engine.active().filter((a) => a.firedAt !== null);
  }

  /** Firing alerts per machine id (the badge on each machine). */
  activeByMachine(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const alert of this.active()) {
      counts.set(alert.machineId, (counts.get(alert.machineId) ?? 0) + 1);
    }
    return counts;
  }

  history(query: { from: number; to: number; machineId?: string; limit?: number }): AlertRecord[] {
    return this.#history.list(query);
  }

  silences(): RuntimeSilence[] {
    return this.#history.silences(this.#now());
  }

  addSilence(
    silence: { rule: string; machines: string | null; until: number; comment: string | null },
  ): RuntimeSilence {
    const added = this.#history.addSilence(silence, this.#now());
    this.tick();
    return added;
  }

  removeSilence(id: number): boolean {
    const removed = this.#history.removeSilence(id);
    this.tick();
    return removed;
  }

  #allSilences(now = this.#now()) {
    return [...this.config.silences, ...this.#history.silenceConfigs(now)];
  }
}
