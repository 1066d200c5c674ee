/** CPU usage from /proc/stat jiffy deltas, total and per core. */
import type { CpuMetrics } from "../../protocol/sample.ts";
import type { Collector, SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";

/**
 * Jiffies of one /proc/stat cpu line. `user` and `nice` already include `guest` and
 * `guestNice` (the kernel adds guest time to both), so those two are kept only for reference
 * and never summed again.
 */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

/** The aggregate `cpu` line and the per-core `cpuN` lines (sparse when cores are offline). */
export interface ProcStat {
  total: CpuTimes;
  /** Indexed by core number; a core missing from the file (offline) is `undefined`. */
  cores: (CpuTimes | undefined)[];
}

const FIELDS = [
  "user",
  "nice",
  "system",
  "idle",
  "iowait",
  "irq",
  "softirq",
  "steal",
  "guest",
  "guestNice",
] as const;

function parseCpuLine(line: string, lineNo: number): CpuTimes {
  const parts = line.trim().split(/\s+/);
  // Kernels before 2.6.11 had 7 fields per line; before 2.6.24 8; steal/guest came later.
  if (parts.length < 5) {
    throw new RangeError(
      `Cannot parse /proc/stat line ${lineNo}: "${parts[0]}" has ${
        parts.length - 1
      } fields, expected at least 4`,
    );
  }
  const times = {} as CpuTimes;
  FIELDS.forEach((field, i) => {
    const text = parts[i + 1];
    if (text === undefined) {
      times[field] = 0;
      return;
    }
    if (!/^\d+$/.test(text)) {
      throw new RangeError(
        `Cannot parse /proc/stat line ${lineNo}: ${field} of "${
          parts[0]
        }" is "${text}", not a number`,
      );
    }
    times[field] = Number(text);
  });
  return times;
}

/** Parses /proc/stat's cpu lines. Throws TypeError when there is no aggregate "cpu" line. */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | undefined;
  const cores: (CpuTimes | undefined)[] = [];
  const lines = text.split("\n");
  let width = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith("cpu")) continue;
    // Every cpu line of one kernel has the same number of fields; fewer means a cut-off file.
    const fields = line.trim().split(/\s+/).length;
    if (width === -1) width = fields;
    if (fields !== width) {
      throw new RangeError(
        `Cannot parse /proc/stat line ${i + 1}: ${fields - 1} fields where the first cpu line has ${
          width - 1
        }`,
      );
    }
    const name = line.slice(0, line.search(/\s|$/));
    if (name === "cpu") {
      total = parseCpuLine(line, i + 1);
    } else {
      const index = Number(name.slice(3));
      if (!Number.isInteger(index) || index < 0 || index > 65535 || name.length === 3) {
        throw new RangeError(`Cannot parse /proc/stat line ${i + 1}: bad cpu name "${name}"`);
      }
      cores[index] = parseCpuLine(line, i + 1);
    }
  }
  if (total === undefined) throw new TypeError('Cannot parse /proc/stat: no "cpu" line');
  return { total, cores };
}

/** Busy and per-state percentages between two readings of one cpu line. */
export interface CpuPercent {
  usage: number;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

const STATES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"] as const;

/**
 * Percentages from two readings. Each state's delta is clamped at 0 (iowait and idle can go
 * backwards on tickless kernels, a core can come back from offline with reset counters), so
 * every value lies in 0..100. `null` when no time passed.
 */
export function cpuPercent(previous: CpuTimes, current: CpuTimes): CpuPercent | null {
  const deltas = {} as Record<(typeof STATES)[number], number>;
  let sum = 0;
  for (const state of STATES) {
    const delta = Math.max(0, current[state] - previous[state]);
    deltas[state] = delta;
    sum += delta;
  }
  if (sum === 0) return null;
  const pct = (n: number) => (n / sum) * 100;
  return {
    usage: pct(sum - deltas.idle - deltas.iowait),
    user: pct(deltas.user),
    nice: pct(deltas.nice),
    system: pct(deltas.system),
    idle: pct(deltas.idle),
    iowait: pct(deltas.iowait),
    irq: pct(deltas.irq),
    softirq: pct(deltas.softirq),
    steal: pct(deltas.steal),
  };
}

/** CPU metrics between two /proc/stat readings; rates are null on the first reading. */
export function cpuMetrics(previous: ProcStat | undefined, current: ProcStat): CpuMetrics {
  const total = previous === undefined ? null : cpuPercent(previous.total, current.total);
  const cores: (number | null)[] = [];
  for (let i = 0; i < current.cores.length; i++) {
    const now = current.cores[i];
    const before = previous?.cores[i];
    cores.push(now && before ? cpuPercent(before, now)?.usage ?? null : null);
  }
  return {
    usage: total?.usage ?? null,
    user: total?.user ?? null,
    system: total?.system ?? null,
    nice: total?.nice ?? null,
    iowait: total?.iowait ?? null,
    irq: total?.irq ?? null,
    softirq: total?.softirq ?? null,
    steal: total?.steal ?? null,
    idle: total?.idle ?? null,
    cores,
  };
}

/** Reads `${procRoot}/stat` and reports usage since the previous call. */
export function createCpuCollector(procRoot: string): Collector {
  let previous: ProcStat | undefined;
  return {
    name: "cpu",
    collect(): SampleMetrics {
      const current = parseProcStat(readProcFile(`${procRoot}/stat`));
      const cpu = cpuMetrics(previous, current);
      previous = current;
      return { cpu };
    },
  };
}
