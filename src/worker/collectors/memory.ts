/** Memory and swap from /proc/meminfo. */
import type { MemMetrics } from "../../protocol/sample.ts";
import type { Collector, SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";

/** /proc/meminfo as a map from field name to bytes (the kernel prints kB). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const match = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (match === null) {
      throw new RangeError(`Cannot parse /proc/meminfo line ${i + 1}: "${line.slice(0, 80)}"`);
    }
    const value = Number(match[2]);
    fields.set(match[1], match[3] === "kB" ? value * 1024 : value);
  }
  return fields;
}

function need(fields: Map<string, number>, name: string): number {
  const value = fields.get(name);
  if (value === undefined) throw new TypeError(`Cannot parse /proc/meminfo: no "${name}" line`);
  return value;
}

/**
 * Memory metrics with MemAvailable semantics: used = total - available. Kernels before 3.14
 * have no MemAvailable; there available is estimated as free + buffers + page cache +
 * reclaimable slab - shmem (the same idea the kernel's own estimate is built on), capped at total.
 */
export function memMetrics(fields: Map<string, number>): MemMetrics {
  const total = need(fields, "MemTotal");
  const free = need(fields, "MemFree");
  const buffers = fields.get("Buffers") ?? 0;
  const cached = fields.get("Cached") ?? 0;
  let available = fields.get("MemAvailable");
  if (available === undefined) {
    const estimate = free + buffers + cached + (fields.get("SReclaimable") ?? 0) -
      (fields.get("Shmem") ?? 0);
    available = Math.max(free, Math.min(total, estimate));
  }
  available = Math.min(available, total);
  const used = total - available;
  const swapTotal = fields.get("SwapTotal") ?? 0;
  const swapFree = Math.min(fields.get("SwapFree") ?? swapTotal, swapTotal);
  return {
    total,
    used,
    available,
    free,
    cached,
    buffers,
    usedPct: total > 0 ? (used / total) * 100 : 0,
    swapTotal,
    swapUsed: swapTotal - swapFree,
  };
}

/** Reads `${procRoot}/meminfo`. */
export function createMemoryCollector(procRoot: string): Collector {
  return {
    name: "memory",
    collect(): SampleMetrics {
      return { mem: memMetrics(parseMeminfo(readProcFile(`${procRoot}/meminfo`))) };
    },
  };
}
