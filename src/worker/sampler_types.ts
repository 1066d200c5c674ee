import type { Sample } from "../protocol/sample.ts";
import type { HostInfo } from "./host_info.ts";

/** How the process collector scans (see src/cli/process_args.ts for the flags). */
export interface ProcessScanOptions {
  /** Time between scans. */
  intervalMs: number;
  /** The sample interval (a scan falls due half a sample early, so jitter never skips one). */
  sampleIntervalMs: number;
  /** Entries per ranking. */
  top: number;
  watch: readonly string[];
  cmdline: boolean;
}

/** A sample before the agent gives it a sequence number. */
export type UnnumberedSample = Omit<Sample, "seq">;

/** Reads the whole machine: every collector, each failing on its own. */
export interface Sampler {
  /** Host facts for `hello` (machine id, hostname, OS, cores, memory ...). */
  host(): Promise<HostInfo>;
  /** One sample. Never rejects: a failing collector's metrics are absent (and logged once). */
  read(): Promise<UnnumberedSample>;
}

export interface SamplerOptions {
  procRoot: string;
  sysRoot: string;
  netExclude: RegExp;
  netInclude?: RegExp;
  /** Process scans (Linux); absent: only the process count, every 5 s. */
  processes?: ProcessScanOptions;
  /** Where a generated machine id is kept when /etc/machine-id is missing. */
  stateDir: string;
  /** The machine id to report, instead of the system's (`--machine-id`: cloned hosts). */
  machineId?: string;
  /** Warnings (a collector failing, once per failure kind). */
  log?: (message: string) => void;
}
