/**
 * The master's in-memory view of the fleet: every known machine with its newest sample, verdict,
 * connection and online status. The HTTP API, /metrics and the live feed read it, so they never
 * touch SQLite for "what is happening now".
 */
import type { WatchedProcess } from "../protocol/processes.ts";
import type { Sample } from "../protocol/sample.ts";
import type { ExpectedOffline, MachineRow, Verdict } from "./store/store_types.ts";
import { CounterTotals } from "./counter_totals.ts";

/** One machine as the master currently sees it. */
export interface MachineState {
  row: MachineRow;
  latest: Sample | null;
  verdict: Verdict | null;
  /** A worker connection (or the in-process local worker) currently holds this machine. */
  connected: boolean;
  online: boolean;
  /** Receive time of the newest sample or hello. */
  lastActivity: number;
  /** Firing alerts (or, when the master runs without alerts, open anomaly events). */
  alerts: number;
  /** The newest refused connection from another host using this machine's id (a clone). */
  clash: MachineClash | null;
  /** The watched process names (--watch-process) of the newest process scan, running or not. */
  watched: WatchedProcess[] | null;
  /** Time of the sample that carried `watched`. */
  watchedAt: number;
  /** Bumped on every change (lets readers cache what they derive from the state). */
  revision: number;
  /** Totals of the counter metrics since this master first saw the machine (for /metrics). */
  counters: CounterTotals;
  /** Samples of the machine that never arrived, and why (since this master started). */
  loss: SampleLoss;
}

/**
 * Sample numbers a worker skipped (its connection went on past them, so they count as acked),
 * and the number of samples its spool says it dropped since the worker started.
 */
export interface SampleLoss {
  skipped: number;
  /** The newest skipped range, and when its next sample was committed. */
  lastGap: { from: number; to: number; at: number } | null;
  /** As the worker reports it in every frame; null until a worker reported it. */
  spoolDropped: number | null;
}

function noLoss(): SampleLoss {
  return { skipped: 0, lastGap: null, spoolDropped: null };
}

/** Another host tried to report as this machine while it was connected. */
export interface MachineClash {
  hostname: string;
  peer: string;
  /** Refused attempts so far, and the newest one's time. */
  attempts: number;
  lastAt: number;
}

/** Called when a machine appears, changes name, or goes online or offline. */
export type MachineListener = (state: MachineState) => void;

/** The smallest silence after which a machine is offline, whatever its interval. */
export const MIN_OFFLINE_AFTER_MS = 5000;

/** How long a machine may stay silent before it counts as offline: 3 intervals, at least 5 s. */
export function offlineAfterMs(intervalMs: number): number {
  return Math.max(MIN_OFFLINE_AFTER_MS, 3 * intervalMs);
}

/** Keyed by machine id; notifies listeners of status changes. */
export class FleetState {
  readonly #machines = new Map<string, MachineState>();
  readonly #listeners = new Set<MachineListener>();
  readonly #removedListeners = new Set<(machineId: string) => void>();

  /** Registers a status-change listener; returns a function that removes it. */
  onChange(listener: MachineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers a listener for machines a person removed; returns a function that removes it. */
  onRemoved(listener: (machineId: string) => void): () => void {
    this.#removedListeners.add(listener);
    return () => this.#removedListeners.delete(listener);
  }

  /** A person removed the machine: it leaves the fleet (until it connects again). */
  remove(id: string): boolean {
    if (!this.#machines.delete(id)) return false;
    for (const listener of this.#removedListeners) listener(id);
    return true;
  }

  /** Sets or lifts (null) the machine's expected-offline mark, notifying listeners. */
  setExpectedOffline(id: string, mark: ExpectedOffline | null): void {
    const state = this.#machines.get(id);
    if (!state) return;
    const row = { ...state.row };
    if (mark) row.expectedOffline = mark;
    else delete row.expectedOffline;
    state.row = row;
    state.revision++;
    this.#notify(state);
  }

  get(id: string): MachineState | undefined {
    return this.#machines.get(id);
  }

  all(): MachineState[] {
    return [...this.#machines.values()];
  }

  get size(): number {
    return this.#machines.size;
  }

  /** Adds a machine known from the store, offline, without notifying (startup). */
  load(row: MachineRow, latest: Sample | null, verdict: Verdict | null): void {
    this.#machines.set(row.id, {
      row,
      latest,
      verdict,
      connected: false,
      online: false,
      lastActivity: row.lastSeen,
      alerts: 0,
      clash: null,
      watched: null,
      watchedAt: 0,
      revision: 0,
      counters: new CounterTotals(latest?.ts ?? null),
      loss: noLoss(),
    });
  }

  /** A worker said hello (or the local worker started): the machine is connected and online. */
  connect(row: MachineRow, now: number): MachineState {
    const state = this.#machines.get(row.id);
    if (!state) {
      const created: MachineState = {
        row,
        latest: null,
        verdict: null,
        connected: true,
        online: true,
        lastActivity: now,
        alerts: 0,
        clash: null,
        watched: null,
        watchedAt: 0,
        revision: 0,
        counters: new CounterTotals(),
        loss: noLoss(),
      };
      this.#machines.set(row.id, created);
      this.#notify(created);
      return created;
    }
    const changed = !state.online || state.row.name !== row.name;
    state.revision++;
    state.row = { ...row, lastSeq: Math.max(row.lastSeq, state.row.lastSeq) };
    state.connected = true;
    state.online = true;
    state.lastActivity = now;
    if (changed) this.#notify(state);
    return state;
  }

  /** The connection holding the machine closed: it is offline now. */
  disconnect(id: string): void {
    const state = this.#machines.get(id);
    if (!state) return;
    state.revision++;
    state.connected = false;
    if (state.online) {
      state.online = false;
      this.#notify(state);
    }
  }

  /** A sample of the machine was committed. Keeps the newest by timestamp as `latest`. */
  recordSample(id: string, sample: Sample, verdict: Verdict, receivedAt: number, seq: number) {
    const state = this.#machines.get(id);
    if (!state) return;
    state.revision++;
    state.counters.add(sample);
    if (!state.latest || sample.ts >= state.latest.ts) {
      state.latest = sample;
      state.verdict = verdict;
    }
    // Only the sample right after a process scan carries the watched names. Listeners (the
    // live feed's machine frames) hear when one starts or stops running, not every scan.
    if (sample.processes && sample.ts >= state.watchedAt) {
      const watched = sample.processes.watched ?? [];
      const runningBefore = (state.watched ?? []).map((w) => `${w.name}:${w.count > 0}`).join();
      state.watched = watched;
      state.watchedAt = sample.ts;
      if (watched.map((w) => `${w.name}:${w.count > 0}`).join() !== runningBefore) {
        this.#notify(state);
      }
    }
    state.lastActivity = Math.max(state.lastActivity, receivedAt);
    state.row.lastSeen = Math.max(state.row.lastSeen, receivedAt);
    state.row.lastSeq = Math.max(state.row.lastSeq, seq);
    if (!state.online && state.connected) {
      state.online = true;
      this.#notify(state);
    }
  }

  /** Marks silent machines offline (and connected, talking ones online again). */
  sweep(now: number): void {
    for (const state of this.#machines.values()) {
      const silent = now - state.lastActivity > offlineAfterMs(state.row.intervalMs);
      const online = state.connected && !silent;
      if (online !== state.online) {
        state.revision++;
        state.online = online;
        this.#notify(state);
      }
    }
  }

  /** Records a connection refused because another host holds the machine's id. */
  recordClash(id: string, from: { hostname: string; peer: string }, now: number): MachineClash {
    const state = this.#machines.get(id)!;
    const same = state.clash?.hostname === from.hostname && state.clash.peer === from.peer;
    state.clash = { ...from, attempts: same ? state.clash!.attempts + 1 : 1, lastAt: now };
    state.revision++;
    this.#notify(state);
    return state.clash;
  }

  /** Sample numbers from..to of the machine were skipped by its worker (committed at `at`). */
  recordGap(id: string, from: number, to: number, at: number): void {
    const state = this.#machines.get(id);
    if (!state) return;
    state.revision++;
    state.loss.skipped += to - from + 1;
    state.loss.lastGap = { from, to, at };
  }

  /** The spool-drop count the machine's worker reported in its newest frame. */
  recordSpoolDropped(id: string, dropped: number): void {
    const state = this.#machines.get(id);
    if (!state || state.loss.spoolDropped === dropped) return;
    state.revision++;
    state.loss.spoolDropped = dropped;
  }

  /** Sets the open anomaly count of a machine (notifying when it changed). */
  setAlerts(id: string, alerts: number): void {
    const state = this.#machines.get(id);
    if (!state || state.alerts === alerts) return;
    state.revision++;
    state.alerts = alerts;
    this.#notify(state);
  }

  #notify(state: MachineState): void {
    for (const listener of this.#listeners) listener(state);
  }
}
