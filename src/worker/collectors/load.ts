/** Load averages and process counts from /proc/loadavg and the /proc pid directories. */
import type { LoadMetrics } from "../../protocol/sample.ts";
import type { Collector, SampleMetrics } from "./collector.ts";
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

/** Counts the numeric entries of a /proc listing: processes, threads excluded. */
export function countPids(names: Iterable<string>): number {
  let count = 0;
  for (const name of names) if (/^\d+$/.test(name)) count++;
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
 * Counts the `${procRoot}/<pid>` directories: `procs`, the number of processes (loadavg's
 * total counts threads). A collector of its own, so an unreadable listing costs only `procs`.
 */
export function createProcessCountCollector(procRoot: string): Collector {
  return {
    name: "processes",
    collect(): SampleMetrics {
      const names: string[] = [];
      // Synchronous for the reason readProcFile gives; this listing is the costliest read.
      for (const entry of Deno.readDirSync(procRoot)) {
        if (entry.isDirectory) names.push(entry.name);
      }
      return { procs: countPids(names) };
    },
  };
}
