/**
 * Which processes an anomaly cause points at, and how they are worded: for a CPU cause the top
 * processes by CPU, for memory by resident memory, for disk reads or writes by those, from the
 * machine's process scan at the time. "CPU 98 % (usually 5–35 %): ffmpeg (pid 4121) 180 %,
 * postgres 40 %" (the metric part is the catalogue's describeCause).
 */
import type { ProcessEntry } from "./processes.ts";
import { type CauseLike, describeCause } from "./describe.ts";
import { fmtBps, fmtBytes } from "../units/format.ts";

/** The process figure that explains a metric. */
export type CulpritMeasure = "cpu" | "rss" | "readBps" | "writeBps" | "io";

/** A process named by an anomaly cause: what it used of the cause's resource. */
export interface Culprit {
  pid: number;
  name: string;
  /** Start time (ms), naming the process with its pid. */
  start?: number;
  measure: CulpritMeasure;
  /** Percent of one core, bytes, or bytes per second, as `measure` says. */
  value: number;
}

/** Most processes a cause names. */
export const MAX_CULPRITS = 3;

/** The process figure for a metric key or detector feature (`cpu.usage`, `disk:vda:writeBps`). */
export function measureFor(metric: string): CulpritMeasure {
  const family = metric.split(/[.:]/)[0];
  if (family === "mem" || metric.startsWith("pressure.memory")) return "rss";
  if (family === "disk" || metric === "cpu.iowait" || metric.startsWith("pressure.io")) {
    if (/read/i.test(metric)) return "readBps";
    if (/write/i.test(metric)) return "writeBps";
    return "io";
  }
  return "cpu"; // CPU, cores, load, CPU pressure; network has no per-process figure: CPU
}

function valueOf(entry: ProcessEntry, measure: CulpritMeasure): number {
  if (measure === "io") return (entry.readBps ?? 0) + (entry.writeBps ?? 0);
  return entry[measure] ?? 0;
}

/** The top processes of a scan for a cause's metric, highest first (none at zero). */
export function culpritsFor(
  metric: string,
  top: readonly ProcessEntry[],
  n = MAX_CULPRITS,
): Culprit[] {
  const measure = measureFor(metric);
  return top
    .map((entry) => ({ entry, value: valueOf(entry, measure) }))
    .filter((c) => c.value > 0)
    .sort((a, b) => b.value - a.value || a.entry.pid - b.entry.pid)
    .slice(0, n)
    .map(({ entry, value }) => {
      const culprit: Culprit = { pid: entry.pid, name: entry.name, measure, value };
      if (entry.start !== undefined) culprit.start = entry.start;
      return culprit;
    });
}

/**
 * The top processes over several scans (those of an anomaly's first minute): each process at
 * its highest figure for the cause's metric.
 */
export function culpritsOverScans(
  metric: string,
  scans: readonly (readonly ProcessEntry[])[],
  n = MAX_CULPRITS,
): Culprit[] {
  const measure = measureFor(metric);
  const best = new Map<string, ProcessEntry>();
  for (const top of scans) {
    for (const entry of top) {
      const key = `${entry.pid}@${entry.start ?? ""}`;
      const held = best.get(key);
      if (!held || valueOf(entry, measure) > valueOf(held, measure)) best.set(key, entry);
    }
  }
  return culpritsFor(metric, [...best.values()], n);
}

function figure(c: Culprit): string {
  if (c.measure === "cpu") return `${Math.round(c.value)} %`;
  if (c.measure === "rss") return fmtBytes(c.value);
  return fmtBps(c.value);
}

/** "ffmpeg (pid 4121) 180 %, postgres 40 %": the first with its pid. */
export function describeCulprits(culprits: readonly Culprit[]): string {
  return culprits.map((c, i) => `${c.name}${i === 0 ? ` (pid ${c.pid})` : ""} ${figure(c)}`)
    .join(", ");
}

/** The cause in words, then the processes behind it when there are any. */
export function describeCauseWithProcesses(cause: CauseLike, culprits: readonly Culprit[]): string {
  const text = describeCause(cause);
  return culprits.length > 0 ? `${text}: ${describeCulprits(culprits)}` : text;
}
