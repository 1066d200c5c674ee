/**
 * Process data in the sample. Every sample may carry `processCounts` (the newest scan's counts,
 * repeated between scans like `procs`); a sample taken right after a process scan (every few
 * seconds) also carries `processes`: the top processes and the watched names. CPU is in percent
 * of one core (a process on three cores shows 300), memory in bytes, disk rates in bytes per
 * second over `spanMs`; a rate that cannot be known (first scan, io not readable) is null.
 */
import { z } from "zod";
import { LIMITS } from "./limits.ts";

const count = z.int().min(0);
const rate = z.number().min(0).nullable();
const text = z.string().max(LIMITS.maxStringLength);

/** Processes by state, threads, and processes listed whose files could not be read. */
export const ProcessCountsSchema = z.object({
  /** Threads of all readable processes. */
  threads: count,
  /** R. */
  running: count,
  /** S, and I (idle kernel threads). */
  sleeping: count,
  /** D: uninterruptible sleep, usually waiting for I/O. */
  blocked: count,
  /** Z: exited, not yet reaped by its parent. */
  zombie: count,
  /** T, t: stopped by a signal or a tracer. */
  stopped: count,
  /** Any other state (X, and the transient W, P, K of some kernels). */
  other: count,
  /** Listed but not readable (another user's process under hidepid, ...): counted, not guessed. */
  unreadable: count,
});

export const ProcessEntrySchema = z.object({
  pid: count,
  /** The process name (Linux `comm`: at most 15 bytes). */
  name: text,
  /** One letter as in /proc/[pid]/stat (R, S, D, Z, T, I ...); absent where the OS has none. */
  state: z.string().max(1).optional(),
  /** Percent of one core over the span; null when not yet measurable. */
  cpu: rate,
  /** Resident memory, bytes. */
  rss: z.number().min(0),
  readBps: rate,
  writeBps: rate,
  threads: count.optional(),
  /** Start time, ms since the epoch: with the pid, it names one process. */
  start: count.optional(),
  /** Full command line, only with `worker --process-cmdline` (command lines carry secrets). */
  cmd: text.optional(),
});

export const WatchedProcessSchema = z.object({
  name: text,
  /** Running instances; 0 when none runs. */
  count: count,
  /** Sums over the instances. */
  cpu: rate,
  rss: z.number().min(0),
  readBps: rate,
  writeBps: rate,
  /** Pids of the first instances. */
  pids: z.array(count).max(LIMITS.maxArrayLength),
});

export const ProcessReportSchema = z.object({
  /** Milliseconds the rates cover (since the previous scan); null on the first scan. */
  spanMs: count.nullable(),
  /** The union of the top N by CPU, memory, disk read and disk write, by CPU first. */
  top: z.array(ProcessEntrySchema).max(LIMITS.maxArrayLength),
  /** The watch list, in its order, running or not. */
  watched: z.array(WatchedProcessSchema).max(LIMITS.maxArrayLength).optional(),
  /** Processes whose io could not be read (another user's): not in the disk rankings. */
  ioUnreadable: count.optional(),
});

export type ProcessCounts = z.infer<typeof ProcessCountsSchema>;
export type ProcessEntry = z.infer<typeof ProcessEntrySchema>;
export type WatchedProcess = z.infer<typeof WatchedProcessSchema>;
export type ProcessReport = z.infer<typeof ProcessReportSchema>;
