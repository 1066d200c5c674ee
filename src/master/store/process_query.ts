/**
 * The read side of the process tables: what ran at a time T (the scan that covers T, or the
 * minute or hour around it once scans have expired), and one process or one name over a range.
 */
import type { ProcessEntry, WatchedProcess } from "../../protocol/processes.ts";
import type { RolledBucket, RolledProcess, StoredScan } from "./process_codec.ts";
import type { ProcessTables, RollupTable } from "./process_store.ts";
import { bucketOf, HOUR_MS, MINUTE_MS } from "./rollup.ts";
import { planBuckets, type Tier, tierForRange } from "./series_plan.ts";

/** A process as the API shows it; from a rollup, figures are over the bucket. */
export interface ProcessView extends ProcessEntry {
  /** From a rollup: the highest CPU of one scan, and how many of the bucket's scans listed it. */
  cpuMax?: number;
  listed?: number;
}

/** A watched name as the API shows it; from a rollup, `count` is the most instances seen. */
export interface WatchedView extends WatchedProcess {
  /** From a rollup: the fewest instances at one scan (0: it was not running at some point). */
  countMin?: number;
}

/** What ran on a machine at a time. */
export interface ProcessSnapshot {
  tier: Tier;
  /** The scan's time, or the bucket's start. */
  t: number;
  /** What the figures cover, ms: the scan's span, or the bucket's scans' spans together. */
  spanMs: number | null;
  processes: ProcessView[];
  watched: WatchedView[];
  ioUnreadable?: number;
}

export interface ProcessHistoryQuery {
  from: number;
  to: number;
  points: number;
  /** One process: its pid, and its start time when known (pids are reused). */
  pid?: number;
  start?: number;
  /** Or every process of this name (a watched name's own figures when it is watched). */
  name?: string;
}

/**
 * A process (or name) over time, columnar. Figures are averages over the scans that listed it
 * (a process below the top N of every ranking is not listed: null), `listed` counts them.
 */
export interface ProcessHistory {
  tier: Tier;
  stepMs: number;
  t: number[];
  cpu: (number | null)[];
  cpuMax: (number | null)[];
  rss: (number | null)[];
  readBps: (number | null)[];
  writeBps: (number | null)[];
  listed: number[];
  /** For a name: instances (the most seen in the bucket). */
  count?: (number | null)[];
}

/** A scan covers T when T lies in its span; a scan this close before T stands in for it. */
const STALE_MS = 60_000;

function rolledView(p: RolledProcess, bucket: RolledBucket): ProcessView {
  const seconds = bucket.spanMs / 1000;
  const view: ProcessView = {
    pid: p.pid,
    name: p.name,
    cpu: round1(p.cpuSum / Math.max(p.seen, 1)),
    cpuMax: p.cpuMax,
    rss: p.rssMax,
    readBps: seconds > 0 ? Math.round(p.readBytes / seconds) : null,
    writeBps: seconds > 0 ? Math.round(p.writeBytes / seconds) : null,
    listed: p.seen,
  };
  if (p.state !== undefined) view.state = p.state;
  if (p.threads !== undefined) view.threads = p.threads;
  if (p.start !== undefined) view.start = p.start;
  return view;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function bucketSnapshot(
  tier: Tier,
  bucket: RolledBucket & { bucket: number },
): ProcessSnapshot {
  const seconds = bucket.spanMs / 1000;
  return {
    tier,
    t: bucket.bucket,
    spanMs: bucket.spanMs,
    processes: bucket.processes.map((p) => rolledView(p, bucket)),
    watched: bucket.watched.map((w) => ({
      name: w.name,
      count: w.countMax,
      countMin: w.countMin,
      cpu: round1(w.cpuSum / Math.max(bucket.scans, 1)),
      rss: w.rssMax,
      readBps: seconds > 0 ? Math.round(w.readBytes / seconds) : null,
      writeBps: seconds > 0 ? Math.round(w.writeBytes / seconds) : null,
      pids: [],
    })),
  };
}

function scanSnapshot(scan: StoredScan): ProcessSnapshot {
  const snapshot: ProcessSnapshot = {
    tier: "raw",
    t: scan.ts,
    spanMs: scan.spanMs,
    processes: scan.top,
    watched: scan.watched ?? [],
  };
  if (scan.ioUnreadable !== undefined) snapshot.ioUnreadable = scan.ioUnreadable;
  return snapshot;
}

/**
 * What ran at `t`: the first scan whose span holds `t` (or the newest scan up to a minute
 * before it), else the minute, else the hour holding `t`; undefined when none does.
 */
export function processesAt(
  tables: ProcessTables,
  machine: number,
  t: number,
): ProcessSnapshot | undefined {
  const { before, after } = tables.scansAround(machine, t);
  if (before?.ts === t) return scanSnapshot(before);
  if (after && after.ts - (after.spanMs ?? 0) <= t) return scanSnapshot(after);
  if (before && t - before.ts <= STALE_MS) return scanSnapshot(before);
  for (
    const [table, tier, width] of [
      ["process_minute", "minute", MINUTE_MS],
      ["process_hour", "hour", HOUR_MS],
    ] as const
  ) {
    const start = bucketOf(t, width);
    const [bucket] = tables.readBuckets(table, machine, start, start);
    if (bucket) return bucketSnapshot(tier, bucket);
  }
  return undefined;
}

interface Point {
  listed: number;
  cpuSum: number;
  cpuMax: number;
  rssMax: number;
  readBytes: number;
  writeBytes: number;
  seconds: number;
  count: number | null;
}

function matcher(
  query: ProcessHistoryQuery,
): (e: { pid: number; name: string; start?: number }) => boolean {
  if (query.pid !== undefined) {
    return (e) => e.pid === query.pid && (query.start === undefined || e.start === query.start);
  }
  return (e) => e.name === query.name;
}

/** Figures of the matching processes of one scan, or null when none was listed. */
function scanPoint(
  scan: StoredScan,
  query: ProcessHistoryQuery,
  matches: ReturnType<typeof matcher>,
): Point | null {
  const seconds = (scan.spanMs ?? 0) / 1000;
  const watched = query.name === undefined
    ? undefined
    : scan.watched?.find((w) => w.name === query.name);
  const list: {
    cpu: number | null;
    rss: number;
    readBps: number | null;
    writeBps: number | null;
  }[] = watched ? [watched] : scan.top.filter(matches);
  if (list.length === 0) return null;
  const cpu = list.reduce((sum, e) => sum + (e.cpu ?? 0), 0);
  return {
    listed: 1,
    cpuSum: cpu,
    cpuMax: cpu,
    rssMax: list.reduce((sum, e) => sum + e.rss, 0),
    readBytes: list.reduce((sum, e) => sum + (e.readBps ?? 0), 0) * seconds,
    writeBytes: list.reduce((sum, e) => sum + (e.writeBps ?? 0), 0) * seconds,
    seconds,
    count: query.name === undefined ? null : watched ? watched.count : list.length,
  };
}

function bucketPoint(
  bucket: RolledBucket,
  query: ProcessHistoryQuery,
  matches: ReturnType<typeof matcher>,
): Point | null {
  const seconds = bucket.spanMs / 1000;
  const watched = query.name === undefined
    ? undefined
    : bucket.watched.find((w) => w.name === query.name);
  if (watched) {
    return {
      listed: bucket.scans,
      cpuSum: watched.cpuSum,
      cpuMax: watched.cpuMax,
      rssMax: watched.rssMax,
      readBytes: watched.readBytes,
      writeBytes: watched.writeBytes,
      seconds,
      count: watched.countMax,
    };
  }
  const list = bucket.processes.filter(matches);
  if (list.length === 0) return null;
  return {
    listed: Math.max(...list.map((p) => p.seen)),
    cpuSum: list.reduce((sum, p) => sum + p.cpuSum, 0),
    cpuMax: list.reduce((sum, p) => sum + p.cpuMax, 0),
    rssMax: list.reduce((sum, p) => sum + p.rssMax, 0),
    readBytes: list.reduce((sum, p) => sum + p.readBytes, 0),
    writeBytes: list.reduce((sum, p) => sum + p.writeBytes, 0),
    seconds,
    count: query.name === undefined ? null : list.length,
  };
}

/** One process (pid) or one name over [from, to], in at most `points` buckets. */
export function processHistory(
  tables: ProcessTables,
  machine: number,
  query: ProcessHistoryQuery,
  forcedTier?: Tier,
): ProcessHistory {
  const tier = forcedTier ?? tierForRange(query.to - query.from);
  const resolution = tier === "raw" ? 1000 : tier === "minute" ? MINUTE_MS : HOUR_MS;
  const plan = planBuckets(query.from, query.to, query.points, resolution);
  const matches = matcher(query);
  const points: (Point | null)[] = new Array(plan.count).fill(null);
  const add = (at: number, p: Point | null) => {
    if (p === null) return;
    const i = Math.floor((at - plan.start) / plan.step);
    const into = points[i];
    if (i < 0 || i >= plan.count) return;
    if (into === null) {
      points[i] = p;
      return;
    }
    into.listed += p.listed;
    into.cpuSum += p.cpuSum;
    into.cpuMax = Math.max(into.cpuMax, p.cpuMax);
    into.rssMax = Math.max(into.rssMax, p.rssMax);
    into.readBytes += p.readBytes;
    into.writeBytes += p.writeBytes;
    into.seconds += p.seconds;
    if (p.count !== null) into.count = Math.max(into.count ?? 0, p.count);
  };
  if (tier === "raw") {
    for (const scan of tables.readScans(machine, query.from, query.to)) {
      add(scan.ts, scanPoint(scan, query, matches));
    }
  } else {
    const table: RollupTable = tier === "minute" ? "process_minute" : "process_hour";
    const width = tier === "minute" ? MINUTE_MS : HOUR_MS;
    for (
      const bucket of tables.readBuckets(table, machine, bucketOf(query.from, width), query.to)
    ) {
      add(bucket.bucket, bucketPoint(bucket, query, matches));
    }
  }
  const column = (f: (p: Point) => number | null) => points.map((p) => (p === null ? null : f(p)));
  const history: ProcessHistory = {
    tier,
    stepMs: plan.step,
    t: points.map((_, i) => plan.start + i * plan.step),
    cpu: column((p) => round1(p.cpuSum / p.listed)),
    cpuMax: column((p) => p.cpuMax),
    rss: column((p) => p.rssMax),
    readBps: column((p) => (p.seconds > 0 ? Math.round(p.readBytes / p.seconds) : null)),
    writeBps: column((p) => (p.seconds > 0 ? Math.round(p.writeBytes / p.seconds) : null)),
    listed: points.map((p) => p?.listed ?? 0),
  };
  if (query.name !== undefined) history.count = column((p) => p.count);
  return history;
}
