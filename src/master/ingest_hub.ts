/**
 * The ingest hub: which connection holds which machine, the queue of validated rows, and the
 * flush that writes them in one store transaction and only then acknowledges them.
 */
import type { Hello } from "../protocol/messages.ts";
import type { Sample } from "../protocol/sample.ts";
import { checkTimestamp, DEFAULT_SKEW_LIMITS, type SkewLimits } from "./clock_skew.ts";
import { type DetectionPort, NO_VERDICT } from "./detection_port.ts";
import { type FleetState, type MachineClash, offlineAfterMs } from "./fleet_state.ts";
import { DeviceBudget } from "./device_budget.ts";
import type { IngestStats } from "./ingest_stats.ts";
import type { IngestRow, MachineInfo, MachineRow, Store, Verdict } from "./store/store_types.ts";

/** One source of samples for one machine: a worker connection or the local worker. */
export interface IngestSession {
  readonly machineId: string;
  /** The hostname the source said hello with, and where it connects from (clash detection). */
  readonly hostname?: string;
  readonly peer?: string;
  /** Tells the source that every sample with seq <= `seq` is committed. */
  ack(seq: number): void;
  /** Ends the source (a worker connection is closed with this code and reason). */
  close(code: number, reason: string): void;
  /** Receive time of the newest frame from this source. */
  lastFrameAt: number;
}

/** A committed row with the verdict the detector gave it. */
export interface CommittedRow extends IngestRow {
  verdict: Verdict;
}

export interface IngestHubOptions {
  store: Store;
  detection: DetectionPort;
  fleet: FleetState;
  stats: IngestStats;
  log: (line: string) => void;
  now?: () => number;
  /** Flush as soon as this many rows are queued (default 2000). */
  flushRows?: number;
  skew?: SkewLimits;
  /** Devices per family and machine kept (see device_budget.ts). */
  devicesPerFamily?: number;
}

/** Sample numbers a session went past without sending them. */
interface SeqGap {
  session: IngestSession;
  from: number;
  to: number;
}

/** Close code a stale connection gets when a new one for the same machine takes over. */
const REPLACED = { code: 4005, reason: "replaced by a newer connection for this machine" };

/** After a storage failure, how long new sources are refused before one is let in to try. */
export const STORAGE_RETRY_MS = 5000;

/** Why the store cannot take writes right now (a full disk, an I/O error ...). */
export interface StorageProblem {
  error: string;
  since: number;
  /** When the next source is let in to try a write. */
  retryAt: number;
}

/** `attach` refused the source because the store is failing. */
export interface StorageRefusal {
  storageError: string;
}

/** `attach` refused the source for now: its machine was removed and its data is being deleted. */
export interface BeingDeleted {
  beingDeleted: string;
}

/** Builds the machine info a hello describes; the display name falls back to the hostname. */
export function machineInfoFromHello(hello: Hello, fallbackName: string): MachineInfo {
  const name = hello.name?.trim() || hello.hostname.trim() || fallbackName;
  return {
    id: hello.machineId,
    name,
    hostname: hello.hostname,
    os: hello.os,
    osName: hello.osName,
    kernel: hello.kernel,
    arch: hello.arch,
    cores: hello.cores,
    memTotal: hello.memTotal,
    agentVersion: hello.agentVersion,
    intervalMs: hello.intervalMs,
  };
}

export class IngestHub {
  readonly #opts: Required<Omit<IngestHubOptions, "skew" | "devicesPerFamily">> & {
    skew: SkewLimits;
  };
  readonly #devices: DeviceBudget;
  readonly #sessions = new Map<string, IngestSession>();
  readonly #listeners = new Set<(rows: CommittedRow[]) => void>();
  #queue: CommittedRow[] = [];
  #acks = new Map<IngestSession, number>();
  /** Per session, the seq its next sample should have (one past the highest it sent). */
  readonly #nextSeq = new Map<IngestSession, number>();
  /** Seq ranges sessions skipped in the queued rows (recorded once those are committed). */
  #gaps: SeqGap[] = [];
  /** Sessions whose first gap was logged (later ones are only counted). */
  readonly #gapLogged = new WeakSet<IngestSession>();
  #detectorFailed = false;
  #storage: StorageProblem | undefined;

  constructor(options: IngestHubOptions) {
    // Explicit `??`: an option passed as undefined must not replace its default.
    this.#opts = {
      ...options,
      now: options.now ?? Date.now,
      flushRows: options.flushRows ?? 2000,
      skew: options.skew ?? DEFAULT_SKEW_LIMITS,
    };
    this.#devices = new DeviceBudget(options.log, options.devicesPerFamily);
    for (const state of options.fleet.all()) {
      if (state.latest) this.#devices.seed(state.row.id, state.latest);
    }
  }

  /** Device entries left out of samples because their machine had too many, per family. */
  get devicesRefused(): ReadonlyMap<string, number> {
    return this.#devices.refused;
  }

  /** Live sources (worker connections and the local worker). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Registers a listener for rows right after they are committed. */
  onCommitted(listener: (rows: CommittedRow[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Lets `session` hold its machine: registers the machine and returns its row (with the last
   * committed seq), or "duplicate" when another live session holds it. A holder that has been
   * silent past the offline threshold is considered dead and replaced.
   */
  attach(
    session: IngestSession,
    info: MachineInfo,
  ): MachineRow | "duplicate" | StorageRefusal | BeingDeleted {
    const now = this.#opts.now();
    const holder = this.#sessions.get(info.id);
    if (holder && now - holder.lastFrameAt <= offlineAfterMs(info.intervalMs)) return "duplicate";
    // While the store fails, sources are turned away (their workers keep their samples and
    // retry) except one now and then, whose writes tell whether the store works again.
    if (this.#storage && now < this.#storage.retryAt) {
      return { storageError: this.#storage.error };
    }
    const known = this.#opts.store.getMachine(info.id);
    if (known?.purging) {
      return {
        beingDeleted: "this machine was removed and its data is being deleted; retry in a moment",
      };
    }
    let row: MachineRow;
    try {
      row = this.#opts.store.registerMachine(info, now);
    } catch (error) {
      this.#storageFailed(error);
      return { storageError: this.#storage!.error };
    }
    if (holder) {
      this.#opts.log(
        `worker ${JSON.stringify(info.id)}: previous connection was silent; replacing it`,
      );
      this.#sessions.delete(info.id);
      holder.close(REPLACED.code, REPLACED.reason);
    }
    if (known?.removedAt !== undefined) {
      this.#opts.log(
        `machine ${JSON.stringify(row.name)} (${info.id}), removed ${
          new Date(known.removedAt).toISOString()
        }, connected again: reactivated, with the data kept at its removal`,
      );
    }
    this.#sessions.set(info.id, session);
    this.#nextSeq.set(session, row.lastSeq + 1);
    this.#opts.fleet.connect(row, now);
    return row;
  }

  /** A connection from another host with a held machine id was refused (see machine_id_clash.ts). */
  recordClash(machineId: string, from: { hostname: string; peer: string }): MachineClash {
    return this.#opts.fleet.recordClash(machineId, from, this.#opts.now());
  }

  /** The live session holding `machineId`, if any. */
  holderOf(machineId: string): IngestSession | undefined {
    return this.#sessions.get(machineId);
  }

  /** What keeps the store from taking writes, or undefined while it works. */
  get storageProblem(): StorageProblem | undefined {
    return this.#storage;
  }

  #storageFailed(error: unknown): void {
    const now = this.#opts.now();
    const message = error instanceof Error ? error.message : String(error);
    if (!this.#storage) {
      this.#opts.log(
        `storage failing (${message}): refusing ingest, nothing unstored is acknowledged; ` +
          `trying again every ${STORAGE_RETRY_MS / 1000} s`,
      );
    }
    this.#storage = {
      error: message,
      since: this.#storage?.since ?? now,
      retryAt: now + STORAGE_RETRY_MS,
    };
  }

  #storageWorks(): void {
    if (!this.#storage) return;
    const s = ((this.#opts.now() - this.#storage.since) / 1000).toFixed(0);
    this.#opts.log(`storage works again after ${s} s: ingest resumes`);
    this.#storage = undefined;
  }

  /** The session ended: its machine is free (and offline) again. */
  detach(session: IngestSession): void {
    if (this.#sessions.get(session.machineId) !== session) return;
    this.#sessions.delete(session.machineId);
    this.#acks.delete(session);
    this.#nextSeq.delete(session);
    this.#opts.fleet.disconnect(session.machineId);
  }

  /**
   * Display name for a machine without a name or hostname: the one it already has, else
   * `machine_<n>` with n one more than the machines known so far.
   */
  fallbackName(machineId: string): string {
    return this.#opts.fleet.get(machineId)?.row.name ?? `machine_${this.#opts.fleet.size + 1}`;
  }

  /**
   * Queues validated samples of `session` (their machine id already checked): clamps skewed
   * timestamps, asks the detector, and schedules a flush. `spoolDropped` is the worker's count
   * of samples its spool dropped, as its frame says.
   */
  enqueue(session: IngestSession, samples: readonly Sample[], spoolDropped?: number): void {
    const { stats, fleet, detection } = this.#opts;
    const receivedAt = this.#opts.now();
    session.lastFrameAt = receivedAt;
    const machine = fleet.get(session.machineId)?.row;
    if (!machine) throw new Error(`Cannot queue samples: machine ${session.machineId} is unknown`);
    if (spoolDropped !== undefined) fleet.recordSpoolDropped(session.machineId, spoolDropped);
    let maxSeq = this.#acks.get(session) ?? -1;
    let next = this.#nextSeq.get(session) ?? 0;
    for (const received of samples) {
      // The ack will cover every seq below this one: a skipped one is lost, so say so.
      if (received.seq > next) this.#gaps.push({ session, from: next, to: received.seq - 1 });
      if (received.seq >= next) next = received.seq + 1;
      const original = this.#devices.admit(session.machineId, received);
      const { ts, skewed } = checkTimestamp(original.ts, receivedAt, this.#opts.skew);
      const sample = skewed ? { ...original, ts } : original;
      if (skewed) stats.samplesClockSkewed++;
      const verdict = this.#observe(detection, machine, sample);
      this.#queue.push({
        machineId: session.machineId,
        sample,
        receivedAt,
        clockSkewed: skewed || undefined,
        verdict,
      });
      if (sample.seq > maxSeq) maxSeq = sample.seq;
    }
    stats.samplesReceived += samples.length;
    stats.queuedRows = this.#queue.length;
    this.#acks.set(session, maxSeq);
    this.#nextSeq.set(session, next);
    // Flushing right here, inside the message handler, bounds the queue: while the store writes,
    // no further frames are read, so a fast fleet is slowed by TCP instead of filling memory.
    if (this.#queue.length >= this.#opts.flushRows) this.flush();
  }

  #observe(detection: DetectionPort, machine: MachineRow, sample: Sample): Verdict {
    const started = performance.now();
    try {
      return detection.observe(machine, sample);
    } catch (error) {
      if (!this.#detectorFailed) {
        this.#detectorFailed = true;
        this.#opts.log(`detector failed (further failures not logged): ${String(error)}`);
      }
      return NO_VERDICT;
    } finally {
      this.#opts.stats.detectorSecondsTotal += (performance.now() - started) / 1000;
    }
  }

  /**
   * Writes every queued row in one store transaction, then acknowledges, per session, the
   * highest seq it sent in this batch, and tells listeners. On a storage error nothing is
   * acknowledged and the affected connections are closed, so their workers replay.
   */
  flush(): void {
    if (this.#queue.length === 0) return;
    const rows = this.#queue;
    const acks = this.#acks;
    const gaps = this.#gaps;
    this.#queue = [];
    this.#acks = new Map();
    this.#gaps = [];
    const { store, stats, fleet } = this.#opts;
    stats.queuedRows = 0;
    const started = performance.now();
    try {
      store.write(rows);
      const lastSeen = new Map<string, number>();
      for (const row of rows) {
        lastSeen.set(row.machineId, Math.max(lastSeen.get(row.machineId) ?? 0, row.receivedAt));
      }
      store.touchMachines(lastSeen);
    } catch (error) {
      stats.flushErrors++;
      this.#opts.log(`storing ${rows.length} rows failed: ${String(error)}`);
      this.#storageFailed(error);
      for (const session of acks.keys()) session.close(1011, "storage error; replay later");
      return;
    }
    this.#storageWorks();
    stats.flushes++;
    stats.samplesWritten += rows.length;
    stats.flushSecondsTotal += (performance.now() - started) / 1000;
    for (const row of rows) {
      fleet.recordSample(row.machineId, row.sample, row.verdict, row.receivedAt, row.sample.seq);
    }
    this.#recordGaps(gaps);
    for (const [session, seq] of acks) {
      if (this.#sessions.get(session.machineId) === session) session.ack(seq);
    }
    for (const listener of this.#listeners) listener(rows);
  }

  #recordGaps(gaps: SeqGap[]): void {
    const now = this.#opts.now();
    for (const { session, from, to } of gaps) {
      this.#opts.fleet.recordGap(session.machineId, from, to, now);
      if (this.#gapLogged.has(session)) continue;
      this.#gapLogged.add(session);
      const spool = this.#opts.fleet.get(session.machineId)?.loss.spoolDropped;
      this.#opts.log(
        `worker ${JSON.stringify(session.machineId)}: samples ${from}..${to} never arrived ` +
          `(${to - from + 1} lost; the worker's spool reports ${spool ?? "no"} drops); ` +
          `further gaps of this connection are counted, not logged`,
      );
    }
  }

  /** Closes every session with `code` (after a last flush by the caller). */
  closeAll(code: number, reason: string): void {
    if (this.#sessions.size > 0) {
      this.#opts.log(`closing ${this.#sessions.size} worker connections (${code}): ${reason}`);
    }
    for (const session of [...this.#sessions.values()]) {
      this.detach(session);
      session.close(code, reason);
    }
  }
}
