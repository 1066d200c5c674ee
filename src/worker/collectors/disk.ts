/** Disk I/O per physical device from /proc/diskstats deltas. */
import type { DiskMetrics } from "../../protocol/sample.ts";
import type { Clock, Collector, SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";
import { monotonicNow } from "./collector.ts";
import { counterDelta, counterRate, parseCounter } from "./counters.ts";

/** The /proc/diskstats counters the disk metrics use. */
export interface DiskCounters {
  readsCompleted: number;
  sectorsRead: number;
  writesCompleted: number;
  sectorsWritten: number;
  /** Milliseconds the device had I/O in flight. */
  ioTicks: number;
}

/** diskstats counts in 512-byte sectors whatever the device's real sector size. */
export const SECTOR_BYTES = 512;

/**
 * Parses /proc/diskstats into counters by device name. Lines with 14 or more fields (every
 * kernel since 2.6.25; 4.18 added discards, 5.5 flushes) are read; the short 7-field partition
 * lines of older kernels are skipped, since partitions are never reported.
 */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const disks = new Map<string, DiskCounters>();
  const lines = text.split("\n");
  let width = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const f = line.split(/\s+/);
    if (f.length === 7) continue;
    if (width === -1) width = f.length;
    if (f.length < 14 || f.length !== width) {
      throw new RangeError(
        `Cannot parse /proc/diskstats line ${i + 1}: ${f.length} fields, expected ${
          Math.max(14, width)
        }`,
      );
    }
    const where = `/proc/diskstats line ${i + 1}`;
    disks.set(f[2], {
      readsCompleted: parseCounter(f[3], where),
      sectorsRead: parseCounter(f[5], where),
      writesCompleted: parseCounter(f[7], where),
      sectorsWritten: parseCounter(f[9], where),
      ioTicks: parseCounter(f[12], where),
    });
  }
  return disks;
}

/** Rates for one device between two readings `elapsedMs` apart; null without a previous one. */
export function diskMetrics(
  name: string,
  previous: DiskCounters | undefined,
  current: DiskCounters,
  elapsedMs: number,
): DiskMetrics {
  if (previous === undefined || !(elapsedMs > 0)) {
    return { name, readBps: null, writeBps: null, readIops: null, writeIops: null, utilPct: null };
  }
  const sectorsRead = counterDelta(previous.sectorsRead, current.sectorsRead);
  const sectorsWritten = counterDelta(previous.sectorsWritten, current.sectorsWritten);
  const busyMs = counterDelta(previous.ioTicks, current.ioTicks);
  return {
    name,
    readBps: sectorsRead === null ? null : (sectorsRead * SECTOR_BYTES * 1000) / elapsedMs,
    writeBps: sectorsWritten === null ? null : (sectorsWritten * SECTOR_BYTES * 1000) / elapsedMs,
    readIops: counterRate(previous.readsCompleted, current.readsCompleted, elapsedMs),
    writeIops: counterRate(previous.writesCompleted, current.writesCompleted, elapsedMs),
    utilPct: busyMs === null ? null : Math.min(100, (busyMs / elapsedMs) * 100),
  };
}

const VIRTUAL_OR_PARTITION =
  /^(loop\d+|ram\d+|zram\d+|dm-\d+|md\d+|nbd\d+|fd\d+|sr\d+|(sd|vd|xvd|hd)[a-z]+\d+|(nvme\d+n\d+|mmcblk\d+)p\d+)$/;

/** The fallback rule when /sys/block cannot be read: a name that is not loop, ram, dm ... */
export function looksPhysical(name: string): boolean {
  return !VIRTUAL_OR_PARTITION.test(name);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Decides whether a diskstats name is a physical whole disk: it has an entry in
 * `${sysRoot}/block` (partitions do not) with a `device` link (loop, ram, zram, dm and md
 * devices have none: they are software on top of other disks, whose I/O would be counted
 * twice). When `${sysRoot}/block` itself is unreadable, a name rule decides instead.
 */
export async function isPhysicalDisk(sysRoot: string, name: string): Promise<boolean> {
  const dir = `${sysRoot}/block`;
  if (!(await exists(dir))) return looksPhysical(name);
  const entry = `${dir}/${name.replaceAll("/", "!")}`;
  return (await exists(entry)) && (await exists(`${entry}/device`));
}

/**
 * Reads `${procRoot}/diskstats`; devices are classified once, when first seen. Once every device
 * is known the answer is synchronous (no promise, no deadline timer).
 */
export function createDiskCollector(
  procRoot: string,
  sysRoot: string,
  clock: Clock = monotonicNow,
): Collector {
  const physical = new Map<string, boolean>();
  let previous: Map<string, DiskCounters> | undefined;
  let previousAt = 0;

  function report(current: Map<string, DiskCounters>, at: number): SampleMetrics {
    const disks: DiskMetrics[] = [];
    for (const [name, counters] of current) {
      if (physical.get(name)) {
        disks.push(diskMetrics(name, previous?.get(name), counters, at - previousAt));
      }
    }
    for (const name of physical.keys()) if (!current.has(name)) physical.delete(name);
    previous = current;
    previousAt = at;
    return { disks };
  }

  async function classifyAndReport(
    current: Map<string, DiskCounters>,
    at: number,
  ): Promise<SampleMetrics> {
    for (const name of current.keys()) {
      if (!physical.has(name)) physical.set(name, await isPhysicalDisk(sysRoot, name));
    }
    return report(current, at);
  }

  return {
    name: "disk",
    collect(): SampleMetrics | Promise<SampleMetrics> {
      const text = readProcFile(`${procRoot}/diskstats`);
      const at = clock();
      const current = parseDiskstats(text);
      for (const name of current.keys()) {
        if (!physical.has(name)) return classifyAndReport(current, at);
      }
      return report(current, at);
    },
  };
}
