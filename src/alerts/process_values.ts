/**
 * What process alert rules compare, from a sample's process scan: per process name
 * `process:NAME:cpu` (percent of one core) and `process:NAME:rss` (bytes), summed over the
 * instances the scan lists (a watched name's own line when it is watched), and for watched names
 * `process:NAME:count`. A name listed at a machine's previous scan and not at this one counts as
 * 0 CPU and 0 bytes: it exited, or fell below the top of every ranking, so its alert can end.
 * Samples between scans add nothing: rules keep their state until the next scan.
 */
import type { Sample } from "../protocol/sample.ts";

/** The key family of process values (`process:nginx:count`). */
export const PROCESS_FAMILY = "process";

/** The key of one process value. */
export function processKey(name: string, field: "count" | "cpu" | "rss"): string {
  return `${PROCESS_FAMILY}:${name}:${field}`;
}

/** Adds process values to flattened sample values, remembering each machine's listed names. */
export class ProcessValues {
  readonly #listed = new Map<string, Set<string>>();

  /** Adds the values of `sample`'s scan (if it has one) to `values`. */
  add(machineId: string, sample: Sample, values: Map<string, number>): void {
    const report = sample.processes;
    if (report === undefined) return;
    const sums = new Map<string, { cpu: number | null; rss: number }>();
    for (const entry of report.top) {
      const sum = sums.get(entry.name);
      if (!sum) {
        sums.set(entry.name, { cpu: entry.cpu, rss: entry.rss });
        continue;
      }
      sum.cpu = sum.cpu === null || entry.cpu === null ? null : sum.cpu + entry.cpu;
      sum.rss += entry.rss;
    }
    for (const line of report.watched ?? []) {
      sums.set(line.name, { cpu: line.cpu, rss: line.rss });
      values.set(processKey(line.name, "count"), line.count);
    }
    for (const [name, sum] of sums) {
      // The first scan measures no CPU yet (null): no CPU value rather than a false 0.
      if (sum.cpu !== null) values.set(processKey(name, "cpu"), Math.round(sum.cpu * 10) / 10);
      values.set(processKey(name, "rss"), sum.rss);
    }
    for (const name of this.#listed.get(machineId) ?? []) {
      if (sums.has(name)) continue;
      values.set(processKey(name, "cpu"), 0);
      values.set(processKey(name, "rss"), 0);
    }
    this.#listed.set(machineId, new Set(sums.keys()));
  }

  /** Forgets a removed machine. */
  forget(machineId: string): void {
    this.#listed.delete(machineId);
  }
}
