/**
 * The process collector (Linux): scans every process every `intervalMs` (default 5 s, never
 * more often than samples) and puts the scan into the next sample: `procs`, `processCounts`
 * and `processes` (top N and watched). Samples between scans repeat the counts and leave
 * `processes` out, so the master stores one process row per scan, not one per sample.
 */
import type { Clock, Collector, SampleMetrics } from "./collector.ts";
import { monotonicNow } from "./collector.ts";
import { isPidName } from "./load.ts";
import { createKeptFiles, keptFileBudget } from "./kept_files.ts";
import { readProcFile } from "./proc_file.ts";
import { parseAuxv, parseBootTime } from "./process_files.ts";
import {
  createProcessTable,
  type ProcessScan,
  type ProcessSource,
  type ProcessTable,
} from "./process_table.ts";
import { parseUptime } from "./uptime.ts";
import type { ProcessScanOptions } from "../sampler_types.ts";

export interface ProcessCollectorOptions extends ProcessScanOptions {
  procRoot: string;
  /** Warnings: the first unexpected failure of each kind reading a process's files. */
  log?: (message: string) => void;
  clock?: Clock;
}

/**
 * Reads pid files under `procRoot` synchronously (procfs never waits on a device). Every
 * process's stat, read at every scan, stays open between scans (kept_files.ts); the few other
 * files are read as usual.
 */
export function procfsSource(
  procRoot: string,
  maxOpen = keptFileBudget(limitsOf(procRoot)),
): ProcessSource {
  const stats = createKeptFiles(maxOpen);
  return {
    listPids() {
      const pids: string[] = [];
      for (const entry of Deno.readDirSync(procRoot)) {
        if (entry.isDirectory && isPidName(entry.name)) pids.push(entry.name);
      }
      stats.retainOnly(new Set(pids));
      return pids;
    },
    readStat: (pid) => stats.read(pid, `${procRoot}/${pid}/stat`),
    readStatm: (pid) => readProcFile(`${procRoot}/${pid}/statm`),
    readIo: (pid) => readProcFile(`${procRoot}/${pid}/io`),
    readCmdline: (pid) => readProcFile(`${procRoot}/${pid}/cmdline`),
    uptimeSeconds: () => parseUptime(readProcFile(`${procRoot}/uptime`)),
  };
}

function limitsOf(procRoot: string): string | undefined {
  try {
    return readProcFile(`${procRoot}/self/limits`);
  } catch {
    return undefined;
  }
}

/** Creates the process table of `procRoot` (page size, clock ticks and boot time read once). */
export function createProcfsTable(options: ProcessCollectorOptions): ProcessTable {
  const { procRoot } = options;
  const kinds = new Set<string>();
  return createProcessTable(procfsSource(procRoot), {
    auxv: parseAuxv(Deno.readFileSync(`${procRoot}/self/auxv`)),
    bootTime: parseBootTime(readProcFile(`${procRoot}/stat`)),
    top: options.top,
    watch: options.watch,
    cmdline: options.cmdline,
    onError(pid, error) {
      // Once per kind of error, so the set stays small however many processes fail.
      const kind = error instanceof Error ? error.name : typeof error;
      if (kinds.has(kind)) return;
      kinds.add(kind);
      const message = error instanceof Error ? error.message : String(error);
      options.log?.(`processes: skipping what cannot be read of pid ${pid} (${message})`);
    },
  });
}

/** The process collector; the table is built on the first call (so a failure is logged there). */
export function createProcessCollector(options: ProcessCollectorOptions): Collector {
  const clock = options.clock ?? monotonicNow;
  const dueAfter = options.intervalMs - options.sampleIntervalMs / 2;
  let table: ProcessTable | undefined;
  let last: ProcessScan | undefined;
  let scannedAt = 0;
  return {
    name: "processes",
    collect(): SampleMetrics {
      const now = clock();
      if (last !== undefined && now - scannedAt < dueAfter) {
        return { procs: last.total, processCounts: last.counts };
      }
      table ??= createProcfsTable(options);
      last = table.scan();
      scannedAt = now;
      return { procs: last.total, processCounts: last.counts, processes: last.report };
    },
  };
}
