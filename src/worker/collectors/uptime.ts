/** Seconds since boot from /proc/uptime. */
import type { Collector, SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";

/** Parses "3600.52 7000.10" (uptime, idle time summed over cores) into the uptime. */
export function parseUptime(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?\s*$/.exec(text);
  if (match === null) {
    throw new RangeError(`Cannot parse /proc/uptime: "${text.trim().slice(0, 80)}"`);
  }
  return Number(match[1]);
}

/** Reads `${procRoot}/uptime`. */
export function createUptimeCollector(procRoot: string): Collector {
  return {
    name: "uptime",
    collect(): SampleMetrics {
      return { uptime: parseUptime(readProcFile(`${procRoot}/uptime`)) };
    },
  };
}
