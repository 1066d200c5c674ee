/** Collectors for platforms without procfs (macOS, Windows): what Deno and node:os offer. */
import { cpus, uptime } from "node:os";
import type { CpuMetrics } from "../../protocol/sample.ts";
import type { Collector, SampleMetrics } from "./collector.ts";

/** The per-core times node:os reports, in milliseconds. */
export interface OsCpuTimes {
  user: number;
  nice: number;
  sys: number;
  idle: number;
  irq: number;
}

function busyShare(previous: OsCpuTimes, current: OsCpuTimes) {
  const d = {
    user: Math.max(0, current.user - previous.user),
    nice: Math.max(0, current.nice - previous.nice),
    sys: Math.max(0, current.sys - previous.sys),
    idle: Math.max(0, current.idle - previous.idle),
    irq: Math.max(0, current.irq - previous.irq),
  };
  const sum = d.user + d.nice + d.sys + d.idle + d.irq;
  return { d, sum };
}

/**
 * CPU metrics from two `os.cpus()` readings: per-core usage and the total over all cores.
 * Deltas are clamped at 0, so values stay in 0..100; rates are null on the first reading and
 * for a core that was not there before. iowait and steal are absent: node:os does not know them.
 */
export function osCpuMetrics(
  previous: OsCpuTimes[] | undefined,
  current: OsCpuTimes[],
): CpuMetrics {
  const total = { user: 0, nice: 0, sys: 0, idle: 0, irq: 0, sum: 0 };
  const cores: (number | null)[] = [];
  for (let i = 0; i < current.length; i++) {
    const before = previous?.[i];
    if (before === undefined) {
      cores.push(null);
      continue;
    }
    const { d, sum } = busyShare(before, current[i]);
    cores.push(sum > 0 ? ((sum - d.idle) / sum) * 100 : null);
    total.user += d.user;
    total.nice += d.nice;
    total.sys += d.sys;
    total.idle += d.idle;
    total.irq += d.irq;
    total.sum += sum;
  }
  const pct = (n: number) => (total.sum > 0 ? (n / total.sum) * 100 : null);
  return {
    usage: pct(total.sum - total.idle),
    user: pct(total.user),
    system: pct(total.sys),
    nice: pct(total.nice),
    irq: pct(total.irq),
    idle: pct(total.idle),
    cores,
  };
}

/** CPU from `os.cpus()` deltas. */
export function createOsCpuCollector(): Collector {
  let previous: OsCpuTimes[] | undefined;
  return {
    name: "cpu",
    collect(): Promise<SampleMetrics> {
      const current = cpus().map((cpu) => cpu.times);
      const cpu = osCpuMetrics(previous, current);
      previous = current;
      return Promise.resolve({ cpu });
    },
  };
}

/** Memory from `Deno.systemMemoryInfo()`. */
export function createOsMemoryCollector(): Collector {
  return {
    name: "memory",
    collect(): Promise<SampleMetrics> {
      const info = Deno.systemMemoryInfo();
      const available = Math.min(info.available, info.total);
      const used = info.total - available;
      const swapFree = Math.min(info.swapFree, info.swapTotal);
      return Promise.resolve({
        mem: {
          total: info.total,
          used,
          available,
          free: info.free,
          usedPct: info.total > 0 ? (used / info.total) * 100 : 0,
          swapTotal: info.swapTotal,
          swapUsed: info.swapTotal - swapFree,
        },
      });
    },
  };
}

/** Load averages from `Deno.loadavg()`; do not use on Windows, which has none. */
export function createOsLoadCollector(): Collector {
  return {
    name: "load",
    collect(): Promise<SampleMetrics> {
      const [one, five, fifteen] = Deno.loadavg();
      return Promise.resolve({ load: { "1": one, "5": five, "15": fifteen } });
    },
  };
}

/** Uptime from `os.uptime()`. */
export function createOsUptimeCollector(): Collector {
  return {
    name: "uptime",
    collect(): Promise<SampleMetrics> {
      return Promise.resolve({ uptime: uptime() });
    },
  };
}

/** The collectors that make sense on `os` (darwin, windows, freebsd ...). */
export function portableCollectors(os: string): Collector[] {
  const collectors = [createOsCpuCollector(), createOsMemoryCollector(), createOsUptimeCollector()];
  if (os !== "windows") collectors.push(createOsLoadCollector());
  return collectors;
}
