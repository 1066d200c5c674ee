/**
 * How process scans are kept: one row per machine and scan (not per process), its processes as
 * positional JSON arrays with interned names; per minute and per hour, each process's CPU,
 * memory and disk over the bucket, for the top of each. Pure functions; the SQL is in
 * process_store.ts.
 */
import type { ProcessEntry, WatchedProcess } from "../../protocol/processes.ts";

/** Name <-> small integer (the process_names table). */
export interface Names {
  idOf(name: string): number;
  nameOf(id: number): string;
}

/** One scan as stored and read back. */
export interface StoredScan {
  ts: number;
  spanMs: number | null;
  top: ProcessEntry[];
  watched?: WatchedProcess[];
  ioUnreadable?: number;
}

/** One process over a bucket (minute, hour). Averages are over the bucket's scans. */
export interface RolledProcess {
  pid: number;
  name: string;
  start?: number;
  /** Scans of the bucket that listed it. */
  seen: number;
  cpuSum: number;
  cpuMax: number;
  rssMax: number;
  readBytes: number;
  writeBytes: number;
  threads?: number;
  /** State at its last scan in the bucket. */
  state?: string;
}

/** One watched name over a bucket. */
export interface RolledWatched {
  name: string;
  /** Fewest and most instances seen at one scan: 0 means it was not running at some scan. */
  countMin: number;
  countMax: number;
  cpuSum: number;
  cpuMax: number;
  rssMax: number;
  readBytes: number;
  writeBytes: number;
}

/** A rolled-up bucket: how many scans it holds, and its top processes and watched names. */
export interface RolledBucket {
  scans: number;
  /** Milliseconds the bucket's scans measured (the sum of their spans). */
  spanMs: number;
  processes: RolledProcess[];
  watched: RolledWatched[];
}

/** Processes kept per ranking in a rolled-up bucket (by CPU, memory, disk read, disk write). */
export const ROLLUP_TOP = 20;

type Row = (number | string | null)[];

function parseRows(text: string, what: string): Row[] {
  const rows = JSON.parse(text);
  if (!Array.isArray(rows)) throw new TypeError(`Stored ${what} is not a list`);
  return rows as Row[];
}

/** `[pid, name id, state, cpu, rss, readBps, writeBps, threads, start, cmd]`, trailing nulls cut. */
export function encodeTop(entries: readonly ProcessEntry[], names: Names): string {
  return JSON.stringify(entries.map((e) => {
    const row: Row = [
      e.pid,
      names.idOf(e.name),
      e.state ?? null,
      e.cpu,
      e.rss,
      e.readBps,
      e.writeBps,
      e.threads ?? null,
      e.start ?? null,
      e.cmd ?? null,
    ];
    while (row.length > 7 && row[row.length - 1] === null) row.pop();
    return row;
  }));
}

export function decodeTop(text: string, names: Names): ProcessEntry[] {
  return parseRows(text, "process list").map((r) => {
    const entry: ProcessEntry = {
      pid: r[0] as number,
      name: names.nameOf(r[1] as number),
      cpu: r[3] as number | null,
      rss: r[4] as number,
      readBps: r[5] as number | null,
      writeBps: r[6] as number | null,
    };
    if (r[2] !== null && r[2] !== undefined) entry.state = r[2] as string;
    if (typeof r[7] === "number") entry.threads = r[7];
    if (typeof r[8] === "number") entry.start = r[8];
    if (typeof r[9] === "string") entry.cmd = r[9];
    return entry;
  });
}

/** `[name id, count, cpu, rss, readBps, writeBps, pids]`. */
export function encodeWatched(lines: readonly WatchedProcess[], names: Names): string {
  return JSON.stringify(
    lines.map((w) => [names.idOf(w.name), w.count, w.cpu, w.rss, w.readBps, w.writeBps, w.pids]),
  );
}

export function decodeWatched(text: string, names: Names): WatchedProcess[] {
  return parseRows(text, "watch list").map((r) => ({
    name: names.nameOf(r[0] as number),
    count: r[1] as number,
    cpu: r[2] as number | null,
    rss: r[3] as number,
    readBps: r[4] as number | null,
    writeBps: r[5] as number | null,
    pids: r[6] as unknown as number[],
  }));
}

/** `[pid, name id, start, seen, cpuSum, cpuMax, rssMax, readBytes, writeBytes, threads, state]`. */
export function encodeRolledProcesses(list: readonly RolledProcess[], names: Names): string {
  return JSON.stringify(list.map((p) => [
    p.pid,
    names.idOf(p.name),
    p.start ?? null,
    p.seen,
    round1(p.cpuSum),
    p.cpuMax,
    p.rssMax,
    Math.round(p.readBytes),
    Math.round(p.writeBytes),
    p.threads ?? null,
    p.state ?? null,
  ]));
}

export function decodeRolledProcesses(text: string, names: Names): RolledProcess[] {
  return parseRows(text, "process rollup").map((r) => {
    const p: RolledProcess = {
      pid: r[0] as number,
      name: names.nameOf(r[1] as number),
      seen: r[3] as number,
      cpuSum: r[4] as number,
      cpuMax: r[5] as number,
      rssMax: r[6] as number,
      readBytes: r[7] as number,
      writeBytes: r[8] as number,
    };
    if (typeof r[2] === "number") p.start = r[2];
    if (typeof r[9] === "number") p.threads = r[9];
    if (typeof r[10] === "string") p.state = r[10];
    return p;
  });
}

/** `[name id, countMin, countMax, cpuSum, cpuMax, rssMax, readBytes, writeBytes]`. */
export function encodeRolledWatched(list: readonly RolledWatched[], names: Names): string {
  return JSON.stringify(list.map((w) => [
    names.idOf(w.name),
    w.countMin,
    w.countMax,
    round1(w.cpuSum),
    w.cpuMax,
    w.rssMax,
    Math.round(w.readBytes),
    Math.round(w.writeBytes),
  ]));
}

export function decodeRolledWatched(text: string, names: Names): RolledWatched[] {
  return parseRows(text, "watch rollup").map((r) => ({
    name: names.nameOf(r[0] as number),
    countMin: r[1] as number,
    countMax: r[2] as number,
    cpuSum: r[3] as number,
    cpuMax: r[4] as number,
    rssMax: r[5] as number,
    readBytes: r[6] as number,
    writeBytes: r[7] as number,
  }));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Identity of a process across scans: a pid with its start time. */
export function processKey(pid: number, start: number | undefined): string {
  return `${pid}@${start ?? ""}`;
}

function keepTop(processes: RolledProcess[]): RolledProcess[] {
  const keep = new Set<RolledProcess>();
  const measures: ((p: RolledProcess) => number)[] = [
    (p) => p.cpuSum,
    (p) => p.rssMax,
    (p) => p.readBytes,
    (p) => p.writeBytes,
  ];
  for (const measure of measures) {
    processes.filter((p) => measure(p) > 0).sort((a, b) => measure(b) - measure(a) || a.pid - b.pid)
      .slice(0, ROLLUP_TOP).forEach((p) => keep.add(p));
  }
  return [...keep].sort((a, b) => b.cpuSum - a.cpuSum || b.rssMax - a.rssMax || a.pid - b.pid);
}

/** A bucket being rolled up, one scan at a time. */
export interface Roll {
  scans: number;
  spanMs: number;
  byKey: Map<string, RolledProcess>;
  watched: Map<string, RolledWatched>;
}

export function newRoll(): Roll {
  return { scans: 0, spanMs: 0, byKey: new Map(), watched: new Map() };
}

/** Adds one scan to a roll (scans in time order, so each process keeps its last state). */
export function addScan(roll: Roll, scan: StoredScan): void {
  const seconds = (scan.spanMs ?? 0) / 1000;
  roll.scans++;
  roll.spanMs += scan.spanMs ?? 0;
  for (const e of scan.top) {
    const key = processKey(e.pid, e.start);
    let p = roll.byKey.get(key);
    if (!p) {
      p = {
        pid: e.pid,
        name: e.name,
        start: e.start,
        seen: 0,
        cpuSum: 0,
        cpuMax: 0,
        rssMax: 0,
        readBytes: 0,
        writeBytes: 0,
      };
      roll.byKey.set(key, p);
    }
    p.seen++;
    p.cpuSum += e.cpu ?? 0;
    p.cpuMax = Math.max(p.cpuMax, e.cpu ?? 0);
    p.rssMax = Math.max(p.rssMax, e.rss);
    p.readBytes += (e.readBps ?? 0) * seconds;
    p.writeBytes += (e.writeBps ?? 0) * seconds;
    if (e.threads !== undefined) p.threads = Math.max(p.threads ?? 0, e.threads);
    if (e.state !== undefined) p.state = e.state;
  }
  for (const w of scan.watched ?? []) {
    const line = roll.watched.get(w.name);
    if (!line) {
      roll.watched.set(w.name, {
        name: w.name,
        countMin: w.count,
        countMax: w.count,
        cpuSum: w.cpu ?? 0,
        cpuMax: w.cpu ?? 0,
        rssMax: w.rss,
        readBytes: (w.readBps ?? 0) * seconds,
        writeBytes: (w.writeBps ?? 0) * seconds,
      });
      continue;
    }
    line.countMin = Math.min(line.countMin, w.count);
    line.countMax = Math.max(line.countMax, w.count);
    line.cpuSum += w.cpu ?? 0;
    line.cpuMax = Math.max(line.cpuMax, w.cpu ?? 0);
    line.rssMax = Math.max(line.rssMax, w.rss);
    line.readBytes += (w.readBps ?? 0) * seconds;
    line.writeBytes += (w.writeBps ?? 0) * seconds;
  }
}

/** The rolled bucket: its top processes (of each ranking) and watched names. */
export function finishRoll(roll: Roll): RolledBucket {
  return {
    scans: roll.scans,
    spanMs: roll.spanMs,
    processes: keepTop([...roll.byKey.values()]),
    watched: [...roll.watched.values()],
  };
}

/** Rolls the scans of one bucket (in time order) into its top processes and watched names. */
export function rollScans(scans: readonly StoredScan[]): RolledBucket {
  const roll = newRoll();
  for (const scan of scans) addScan(roll, scan);
  return finishRoll(roll);
}

/** Merges rolled buckets (the minutes of an hour) into one, keeping the top of each ranking. */
export function mergeBuckets(buckets: readonly RolledBucket[]): RolledBucket {
  const byKey = new Map<string, RolledProcess>();
  const watched = new Map<string, RolledWatched>();
  let scans = 0;
  let spanMs = 0;
  for (const bucket of buckets) {
    scans += bucket.scans;
    spanMs += bucket.spanMs;
    for (const p of bucket.processes) {
      const key = processKey(p.pid, p.start);
      const into = byKey.get(key);
      if (!into) {
        byKey.set(key, { ...p });
        continue;
      }
      into.seen += p.seen;
      into.cpuSum += p.cpuSum;
      into.cpuMax = Math.max(into.cpuMax, p.cpuMax);
      into.rssMax = Math.max(into.rssMax, p.rssMax);
      into.readBytes += p.readBytes;
      into.writeBytes += p.writeBytes;
      if (p.threads !== undefined) into.threads = Math.max(into.threads ?? 0, p.threads);
      if (p.state !== undefined) into.state = p.state;
    }
    for (const w of bucket.watched) {
      const into = watched.get(w.name);
      if (!into) {
        watched.set(w.name, { ...w });
        continue;
      }
      into.countMin = Math.min(into.countMin, w.countMin);
      into.countMax = Math.max(into.countMax, w.countMax);
      into.cpuSum += w.cpuSum;
      into.cpuMax = Math.max(into.cpuMax, w.cpuMax);
      into.rssMax = Math.max(into.rssMax, w.rssMax);
      into.readBytes += w.readBytes;
      into.writeBytes += w.writeBytes;
    }
  }
  return { scans, spanMs, processes: keepTop([...byKey.values()]), watched: [...watched.values()] };
}
