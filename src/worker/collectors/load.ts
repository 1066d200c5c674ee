/** Load averages and process counts from /proc/loadavg and the /proc pid directories. */
import type { LoadMetrics } from "../../protocol/sample.ts";
import { type Clock, type Collector, monotonicNow, type SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";

/** What /proc/loadavg says. `running`/`total` count kernel scheduling entities (threads). */
export interface Loadavg {
  load: LoadMetrics;
  running: number;
  total: number;
}

/** Parses "0.20 0.10 0.05 1/123 4567". */
export function parseLoadavg(text: string): Loadavg {
  const match = /^\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+)\/(\d+)\s+\d+\s*$/.exec(text);
  if (match === null) {
    throw new RangeError(`Cannot parse /proc/loadavg: "${text.trim().slice(0, 80)}"`);
  }
  return {
    load: { "1": Number(match[1]), "5": Number(match[2]), "15": Number(match[3]) },
    running: Number(match[4]),
    total: Number(match[5]),
  };
}

/** True for a /proc entry name that is a pid (all digits). */
export function isPidName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Counts the numeric entries of a /proc listing: processes, threads excluded. */
export function countPids(names: Iterable<string>): number {
  let count = 0;
  for (const name of names) if (isPidName(name)) count++;
  return count;
}

/** Reads `${procRoot}/loadavg`: load averages and `procsRunning` (runnable threads). */
export function createLoadCollector(procRoot: string): Collector {
  return {
    name: "load",
    collect(): SampleMetrics {
      const loadavg = parseLoadavg(readProcFile(`${procRoot}/loadavg`));
      return { load: loadavg.load, procsRunning: loadavg.running };
    },
  };
}

/**
 * How often /proc is listed to count processes. Listing /proc is the costliest procfs read (one
 * entry per process, and /proc/loadavg's total counts threads, not processes); counting every
 * few seconds keeps `procs` exact, at most this old.
 */
export const PROCESS_COUNT_REFRESH_MS = 5_000;

/**
 * Counts the `${procRoot}/<pid>` directories: `procs`, the number of processes (loadavg's
 * total counts threads), listed at most once per `refreshMs` (calls in between repeat the last
 * count). A collector of its own, so an unreadable listing costs only `procs`.
 */
export function createProcessCountCollector(
  procRoot: string,
  refreshMs = PROCESS_COUNT_REFRESH_MS,
  clock: Clock = monotonicNow,
): Collector {
  let procs = -1;
  let countedAt = 0;
  return {
    name: "processes",
    collect(): SampleMetrics {
      const now = clock();
      if (procs >= 0 && now - countedAt < refreshMs) return { procs };
      let count = 0;
      // Synchronous for the reason readProcFile gives.
      for (const entry of Deno.readDirSync(procRoot)) {
        if (entry.isDirectory && isPidName(entry.name)) count++;
      }
      procs = count;
      countedAt = now;
      return { procs };
    },
  };
}
