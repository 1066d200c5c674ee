import type { UnnumberedSample } from "../sampler_types.ts";

/** The metric part of a sample: everything a collector may fill in. */
export type SampleMetrics = Omit<UnnumberedSample, "ts" | "machineId" | "hostname">;

/**
 * One metric family. `collect()` answers synchronously (cheap procfs reads) or with a promise
 * (anything that may wait); when it throws or rejects, the sampler leaves its metrics out.
 */
export interface Collector {
  /** Short family name used in log lines: cpu, memory, disk ... */
  readonly name: string;
  collect(): SampleMetrics | Promise<SampleMetrics>;
}

/** Milliseconds from a monotonic clock; a seam so tests can control elapsed time. */
export type Clock = () => number;

/** The default monotonic clock. */
export function monotonicNow(): number {
  return performance.now();
}
