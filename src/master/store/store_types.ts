/**
 * What the master needs from its store. The SQLite implementation lives beside this file.
 * Times are milliseconds since the epoch.
 */
import type { Sample } from "../../protocol/sample.ts";
import type { StoredScan } from "./process_codec.ts";
import type { ProcessHistory, ProcessHistoryQuery, ProcessSnapshot } from "./process_query.ts";
import type {
  AnomalyCause,
  AnomalyCloseReason,
  AnomalyEvent,
  Verdict,
} from "../../protocol/anomaly.ts";

export { ANOMALY_CLOSE_REASONS } from "../../protocol/anomaly.ts";
export type { AnomalyCause, AnomalyCloseReason, AnomalyEvent, Verdict };

/** How long each storage tier is kept, in milliseconds. */
export interface Retention {
  raw: number;
  minute: number;
  hour: number;
}

/** What a worker says about its machine in `hello`, plus the display name. */
export interface MachineInfo {
  id: string;
  name: string;
  hostname: string;
  os: string;
  osName?: string;
  kernel?: string;
  arch: string;
  cores: number;
  memTotal: number;
  agentVersion: string;
  intervalMs: number;
}

export interface MachineRow extends MachineInfo {
  firstSeen: number;
  lastSeen: number;
  /** Highest committed sequence number, -1 for none. */
  lastSeq: number;
  /** When a person removed the machine from the fleet; absent while it is in it. */
  removedAt?: number;
  /** Removed with its data, which is being deleted (the row goes last). */
  purging?: boolean;
  /** A person said the machine is expected to be offline; absent otherwise. */
  expectedOffline?: ExpectedOffline;
}

/** A person's word that a machine is expected to be offline: no offline alert while it holds. */
export interface ExpectedOffline {
  since: number;
  /** When the mark lapses by itself; null: until a person lifts it. */
  until: number | null;
  note: string | null;
}

/** What one `purgeMachine` call deleted, per table, and whether nothing of the machine is left. */
export interface PurgeProgress {
  deleted: Record<string, number>;
  done: boolean;
}

/** One sample to store. */
export interface IngestRow {
  machineId: string;
  sample: Sample;
  /** When the master received it. */
  receivedAt: number;
  /** The worker's timestamp was far from the master's clock and was clamped to receivedAt. */
  clockSkewed?: boolean;
  verdict?: Verdict;
  /** Set by `write` when the row was already stored (a replay) and was skipped. */
  duplicate?: boolean;
}

/** Columnar series, downsampled into buckets of `stepMs`. */
export interface SeriesResult {
  machineId: string;
  from: number;
  to: number;
  tier: "raw" | "minute" | "hour";
  stepMs: number;
  /** Bucket start times. */
  t: number[];
  /** Per metric key (see src/protocol/metrics.ts), one value per bucket; null where no data. */
  avg: Record<string, (number | null)[]>;
  min: Record<string, (number | null)[]>;
  max: Record<string, (number | null)[]>;
}

export interface SeriesQuery {
  from: number;
  to: number;
  /** Most buckets to return (1..10000). */
  points: number;
  /** Only these keys, or keys starting with these prefixes ending in ':' (`disk:`); all when absent. */
  metrics?: string[];
}

/** Fleet-wide aggregates per bucket. */
export interface FleetSeriesResult {
  from: number;
  to: number;
  tier: "raw" | "minute" | "hour";
  stepMs: number;
  t: number[];
  cpuAvg: (number | null)[];
  cpuMax: (number | null)[];
  memAvg: (number | null)[];
  memMax: (number | null)[];
  netRxBps: (number | null)[];
  netTxBps: (number | null)[];
  diskReadBps: (number | null)[];
  diskWriteBps: (number | null)[];
}

/** CPU-versus-memory points for the scatter view, columnar. */
export interface ScatterResult {
  machines: string[];
  /** Index into `machines` per point. */
  machine: number[];
  t: number[];
  cpu: number[];
  mem: number[];
  score: (number | null)[];
  anomalous: (0 | 1)[];
}

/** An event to store: as AnomalyEvent without its id; closeReason defaults to null. */
export type NewAnomalyEvent = Omit<AnomalyEvent, "id" | "closeReason"> & {
  closeReason?: AnomalyCloseReason | null;
};

export interface Store {
  /**
   * Inserts or updates a machine (first seen is kept). A removed machine whose data was kept is
   * back (removedAt cleared); one whose data is being deleted throws until that is done.
   */
  registerMachine(info: MachineInfo, now: number): MachineRow;
  /** A machine, removed ones included. */
  getMachine(id: string): MachineRow | undefined;
  /** Every machine, removed ones included (with `removedAt`). */
  listMachines(): MachineRow[];
  /**
   * Marks a machine as removed and clears its expected-offline mark; with `deleteData` its data
   * is then deleted by `purgeMachine`. Undefined for an unknown id.
   */
  removeMachine(id: string, now: number, options: { deleteData: boolean }): MachineRow | undefined;
  /**
   * Deletes at most about `maxRows` rows of a machine removed with its data, from every table
   * keyed by machine, in short statements; when nothing is left, its row too (`done`).
   * Call it until done, letting other work run in between.
   */
  purgeMachine(id: string, maxRows: number): PurgeProgress;
  /** Sets or lifts (null) the expected-offline mark. Undefined for an unknown id. */
  setExpectedOffline(id: string, mark: ExpectedOffline | null): MachineRow | undefined;
  /** Marks machines as seen (called after each flush). */
  touchMachines(lastSeen: Map<string, number>): void;
  /**
   * Stores rows in one transaction; rows whose (machine, seq) is already stored are skipped.
   * Returns, per machine, the highest sequence number now committed.
   */
  write(rows: IngestRow[]): Map<string, number>;
  /** The newest stored sample of each machine, with its verdict (warm start after a restart). */
  latestSamples(): Map<string, { sample: Sample; verdict: Verdict | null }>;
  /** The newest `limit` samples of a machine, oldest first (detector warm start). */
  recentSamples(machineId: string, limit: number): Sample[];
  querySeries(machineId: string, query: SeriesQuery): SeriesResult;
  queryFleetSeries(query: Omit<SeriesQuery, "metrics">): FleetSeriesResult;
  queryScatter(
    query: { from: number; to: number; machineId?: string; limit: number },
  ): ScatterResult;
  openAnomaly(event: NewAnomalyEvent): number;
  updateAnomaly(id: number, patch: Partial<Omit<AnomalyEvent, "id" | "machineId">>): void;
  listAnomalies(
    query: { from: number; to: number; machineId?: string; limit?: number },
  ): AnomalyEvent[];
  /** The newest process scan of a machine (docs/processes.md). */
  latestProcesses(machineId: string): StoredScan | undefined;
  /** A machine's process scans from `from` to `to` (ms, both included), oldest first. */
  processScans(machineId: string, from: number, to: number): StoredScan[];
  /** What ran on a machine at `t`: the scan covering it, else its minute or hour. */
  processesAt(machineId: string, t: number): ProcessSnapshot | undefined;
  /** One process (pid) or one process name of a machine over a range. */
  processHistory(machineId: string, query: ProcessHistoryQuery): ProcessHistory;
  /** Deletes rows older than each tier's retention, in small chunks. Returns rows deleted. */
  applyRetention(now: number): number;
  close(): void;
}
