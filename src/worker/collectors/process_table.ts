/**
 * One scan of every process: counts by state, CPU and disk rates from the previous scan's
 * counters (a pid whose start time changed is a new process), the top N by CPU, memory, disk
 * read and disk write, and the watched names. The files come through a ProcessSource, so the
 * same code runs on /proc and on fixtures.
 */
import type {
  ProcessCounts,
  ProcessEntry,
  ProcessReport,
  WatchedProcess,
} from "../../protocol/processes.ts";
import {
  type Auxv,
  parseCmdline,
  parsePidIo,
  parsePidStat,
  parseStatmResident,
  type PidStat,
} from "./process_files.ts";
import { rankProcesses } from "./process_rank.ts";

/** Reads one process's files; every read throws when the process or the file is gone. */
export interface ProcessSource {
  /** Pids listed in the procfs root, as named there. */
  listPids(): string[];
  readStat(pid: string): string;
  readStatm(pid: string): string;
  readIo(pid: string): string;
  readCmdline(pid: string): string;
  /** Seconds since boot, now (/proc/uptime): the clock the kernel's start times use. */
  uptimeSeconds(): number;
}

export interface ProcessTableOptions {
  /** Page size and clock ticks (from /proc/self/auxv). */
  auxv: Auxv;
  /** Boot time, seconds since the epoch (/proc/stat btime). */
  bootTime: number;
  /** Entries per ranking. */
  top: number;
  /** `comm` names always reported (running or not). */
  watch: readonly string[];
  /** Report command lines of the listed processes (they can carry secrets: opt-in). */
  cmdline: boolean;
  /** Unexpected read or parse failures (not a process that exited, not a permission). */
  onError?: (pid: string, error: unknown) => void;
}

/** One scan's result. */
export interface ProcessScan {
  /** Processes listed that did not exit before their stat was read. */
  total: number;
  counts: ProcessCounts;
  report: ProcessReport;
}

/** What the previous scan kept of one process. */
interface Seen {
  /** The stat text and what it parsed to: an idle process's text repeats, and is not parsed again. */
  text: string;
  stat: PidStat;
  /** Storage bytes at the last read of io; undefined when io cannot be read. */
  readBytes?: number;
  writeBytes?: number;
  ioDenied: boolean;
}

/** Longest command line reported (the protocol's string limit). */
export const MAX_CMDLINE_LENGTH = 256;
/** Most pids listed per watched name. */
export const MAX_WATCHED_PIDS = 16;

type ReadOutcome = "gone" | "denied" | "failed";

function classify(error: unknown): ReadOutcome {
  if (error instanceof Deno.errors.NotFound) return "gone";
  // ESRCH: the task exited between open and read.
  if (error instanceof Error && error.message.includes("(os error 3)")) return "gone";
  if (error instanceof Deno.errors.PermissionDenied) return "denied";
  return "failed";
}

function zeroCounts(): ProcessCounts {
  return {
    threads: 0,
    running: 0,
    sleeping: 0,
    blocked: 0,
    zombie: 0,
    stopped: 0,
    other: 0,
    unreadable: 0,
  };
}

/** Adds a process in `state` (one letter of /proc/[pid]/stat) to `counts`. */
export function countState(counts: ProcessCounts, state: string): void {
  switch (state) {
    case "R":
      counts.running++;
      break;
    case "S":
    case "I": // idle kernel threads: asleep
      counts.sleeping++;
      break;
    case "D":
      counts.blocked++;
      break;
    case "Z":
      counts.zombie++;
      break;
    case "T":
    case "t":
      counts.stopped++;
      break;
    default: // X (dead), and the transient W, P, K of some kernels
      counts.other++;
  }
}

/** A scanner keeping the previous scan's counters between calls. */
export interface ProcessTable {
  scan(): ProcessScan;
}

/** Creates a scanner over `source`. */
export function createProcessTable(
  source: ProcessSource,
  options: ProcessTableOptions,
): ProcessTable {
  const { pageSize, clockTicks } = options.auxv;
  const watchSet = new Set(options.watch);
  let previous = new Map<string, Seen>();
  /** Uptime of the previous scan, in ticks; undefined before the first. */
  let previousTicks: number | undefined;

  function scan(): ProcessScan {
    const nowTicks = source.uptimeSeconds() * clockTicks;
    const span = previousTicks === undefined ? undefined : nowTicks - previousTicks;
    const counts = zeroCounts();
    const entries: ProcessEntry[] = [];
    const next = new Map<string, Seen>();
    let total = 0;
    let ioUnreadable = 0;
    for (const pid of source.listPids()) {
      let stat: PidStat;
      let text: string;
      const before = previous.get(pid);
      try {
        text = source.readStat(pid);
        stat = before !== undefined && before.text === text ? before.stat : parsePidStat(text);
      } catch (error) {
        const outcome = classify(error);
        if (outcome === "gone") continue;
        if (outcome === "failed") options.onError?.(pid, error);
        total++;
        counts.unreadable++;
        continue;
      }
      total++;
      countState(counts, stat.state);
      counts.threads += stat.threads;
      const same = before !== undefined && before.stat.startTicks === stat.startTicks;
      // Ticks this process ran within the span, and over how many ticks; a process started
      // since the previous scan is measured from its start.
      let ran: number | undefined;
      let window: number | undefined;
      if (same) {
        ran = stat.cpuTicks - before.stat.cpuTicks;
        window = span;
      } else if (previousTicks !== undefined && stat.startTicks >= previousTicks) {
        ran = stat.cpuTicks;
        window = Math.max(nowTicks - stat.startTicks, 1);
      }
      const seen: Seen = { text, stat, ioDenied: false };
      let readBps: number | null = null;
      let writeBps: number | null = null;
      if (same && before.ioDenied) {
        seen.ioDenied = true;
      } else if (
        same && ran === 0 && stat.childTicks === before.stat.childTicks &&
        before.readBytes !== undefined
      ) {
        // Neither it nor a child it reaped ran (io counts reaped children's bytes too), so it
        // issued no I/O: its counters stand and io is not read again (most processes sleep).
        seen.readBytes = before.readBytes;
        seen.writeBytes = before.writeBytes;
        readBps = 0;
        writeBps = 0;
      } else {
        try {
          const io = parsePidIo(source.readIo(pid));
          seen.readBytes = io.readBytes;
          seen.writeBytes = io.writeBytes;
          if (window !== undefined) {
            const seconds = window / clockTicks;
            const fromRead = same ? before.readBytes : 0;
            const fromWrite = same ? before.writeBytes : 0;
            if (fromRead !== undefined && fromWrite !== undefined) {
              readBps = Math.round(Math.max(0, io.readBytes - fromRead) / seconds);
              writeBps = Math.round(Math.max(0, io.writeBytes - fromWrite) / seconds);
            }
          }
        } catch (error) {
          const outcome = classify(error);
          if (outcome === "failed") options.onError?.(pid, error);
          if (outcome === "denied") seen.ioDenied = true;
        }
      }
      if (seen.ioDenied) ioUnreadable++;
      next.set(pid, seen);
      entries.push({
        pid: stat.pid,
        name: stat.name,
        state: stat.state,
        // One tick in a 5 s span is 0.2 %: a tenth of a percent is all the precision there is.
        cpu: ran === undefined || window === undefined
          ? null
          : Math.round((ran / window) * 1000) / 10,
        rss: stat.rssPages * pageSize,
        readBps,
        writeBps,
        threads: stat.threads,
        start: Math.round(options.bootTime * 1000 + (stat.startTicks * 1000) / clockTicks),
      });
    }
    previous = next;
    previousTicks = nowTicks;
    const exact = new Set<ProcessEntry>();
    const makeExact = (list: ProcessEntry[]) => {
      for (const entry of list) {
        if (exact.has(entry)) continue;
        exact.add(entry);
        try {
          entry.rss = parseStatmResident(source.readStatm(String(entry.pid))) * pageSize;
        } catch (error) {
          // Exited since its stat was read: it keeps the approximate figure of that stat.
          if (classify(error) === "failed") options.onError?.(String(entry.pid), error);
        }
      }
    };
    const top = rankProcesses(entries, options.top, makeExact);
    if (options.cmdline) addCommandLines(source, top);
    const report: ProcessReport = {
      spanMs: span === undefined ? null : Math.round((span * 1000) / clockTicks),
      top,
      ioUnreadable,
    };
    if (watchSet.size > 0) {
      makeExact(entries.filter((entry) => watchSet.has(entry.name)));
      report.watched = watched(entries, options.watch);
    }
    return { total, counts, report };
  }

  return { scan };
}

function addCommandLines(source: ProcessSource, entries: ProcessEntry[]): void {
  for (const entry of entries) {
    try {
      const cmd = parseCmdline(source.readCmdline(String(entry.pid)), MAX_CMDLINE_LENGTH);
      if (cmd !== undefined) entry.cmd = cmd;
    } catch {
      // Exited or not ours to read: the entry goes without its command line.
    }
  }
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** One line per watched name, in the order given, with zeros when none runs. */
export function watched(entries: ProcessEntry[], names: readonly string[]): WatchedProcess[] {
  const byName = new Map<string, WatchedProcess>();
  for (const name of names) {
    byName.set(name, { name, count: 0, cpu: 0, rss: 0, readBps: 0, writeBps: 0, pids: [] });
  }
  for (const entry of entries) {
    const line = byName.get(entry.name);
    if (line === undefined) continue;
    line.count++;
    line.cpu = sumOrNull(line.cpu, entry.cpu);
    line.rss += entry.rss;
    line.readBps = sumOrNull(line.readBps, entry.readBps);
    line.writeBps = sumOrNull(line.writeBps, entry.writeBps);
    if (line.pids.length < MAX_WATCHED_PIDS) line.pids.push(entry.pid);
  }
  for (const line of byName.values()) {
    if (line.cpu !== null) line.cpu = Math.round(line.cpu * 10) / 10;
  }
  return [...byName.values()];
}
