/**
 * The feature vector the detector sees for one sample, in a fixed order.
 *
 * Levels that people read in percent stay in percent; byte and packet rates, which span many
 * orders of magnitude, are on a log1p scale (so 1 KB/s → 10 KB/s weighs like 1 MB/s → 10 MB/s),
 * summed over all disks or all interfaces. One "recent change" feature, the growth of memory
 * use over the last 30 samples (mean of the newest 5 minus the mean of 5 taken 30 samples
 * earlier, which damps the noise of a plain difference), lets a leak show while its level is
 * still within the normal range.
 *
 * Missing values: a metric that is absent or null gives NaN here; the detector carries the
 * last known value forward, and a metric never seen (another OS, no PSI) stays 0, i.e. constant,
 * so the forest never splits on it.
 */
import type { Sample } from "../protocol/sample.ts";

/** One feature: its name, its smallest meaningful change, and whether it is log1p-scaled. */
export interface FeatureInfo {
  /** Metric-like name (`cpu.usage`, `disk.writeBps`), shown as the reason of an anomaly. */
  name: string;
  /**
   * The smallest change worth calling unusual, in the feature's own (possibly log1p) units.
   * Deviations from the normal range are measured in these units, so noise on a feature
   * that barely moves never counts. 0 means "unknown scale: use the training spread".
   */
  floor: number;
  /** Values are log1p of the real metric; causes are reported back in real units. */
  log?: boolean;
}

/** How many samples back the memory growth feature looks. */
export const MEMORY_GROWTH_LAG = 30;
/** How many samples each end of the memory growth difference averages. */
const MEMORY_GROWTH_SPAN = 5;

/** The features of a sample, in vector order. */
export const SAMPLE_FEATURES: readonly FeatureInfo[] = [
  { name: "cpu.usage", floor: 10 },
  { name: "cpu.iowait", floor: 5 },
  { name: "mem.usedPct", floor: 3 },
  { name: "mem.growth", floor: 0.5 },
  { name: "mem.swapUsedPct", floor: 3 },
  { name: "load.perCore", floor: 0.25 },
  { name: "disk.readBps", floor: 2, log: true },
  { name: "disk.writeBps", floor: 2, log: true },
  { name: "disk.iops", floor: 2, log: true },
  { name: "disk.utilPct", floor: 10 },
  { name: "net.rxBps", floor: 2, log: true },
  { name: "net.txBps", floor: 2, log: true },
  { name: "net.pps", floor: 2, log: true },
  { name: "pressure.cpu.some10", floor: 10 },
  { name: "pressure.memory.some10", floor: 10 },
  { name: "pressure.io.some10", floor: 10 },
];

/** Turns samples into feature vectors; keeps the little history `mem.growth` needs. */
export class SampleFeatures {
  readonly #memory: number[] = [];

  /** The feature vector of `sample` (NaN where unknown), in `SAMPLE_FEATURES` order. */
  extract(sample: Sample): Float64Array {
    const out = new Float64Array(SAMPLE_FEATURES.length).fill(NaN);
    const { cpu, mem, load, pressure } = sample;
    out[0] = num(cpu?.usage);
    out[1] = num(cpu?.iowait);
    out[2] = num(mem?.usedPct);
    if (mem) {
      this.#memory.push(mem.usedPct);
      const keep = MEMORY_GROWTH_LAG + MEMORY_GROWTH_SPAN;
      if (this.#memory.length > keep) this.#memory.shift();
      if (this.#memory.length === keep) {
        let recent = 0, before = 0;
        for (let i = 0; i < MEMORY_GROWTH_SPAN; i++) {
          before += this.#memory[i];
          recent += this.#memory[keep - 1 - i];
        }
        out[3] = (recent - before) / MEMORY_GROWTH_SPAN;
      }
      out[4] = mem.swapTotal > 0 ? (100 * mem.swapUsed) / mem.swapTotal : 0;
    }
    const cores = cpu?.cores?.length ?? 0;
    if (load && cores > 0) out[5] = load["1"] / cores;
    if (sample.disks) {
      out[6] = logSum(sample.disks, (d) => d.readBps);
      out[7] = logSum(sample.disks, (d) => d.writeBps);
      out[8] = logSum(sample.disks, (d) => add(d.readIops, d.writeIops));
      out[9] = maxOf(sample.disks, (d) => d.utilPct);
    }
    if (sample.net) {
      out[10] = logSum(sample.net, (n) => n.rxBps);
      out[11] = logSum(sample.net, (n) => n.txBps);
      out[12] = logSum(sample.net, (n) => add(n.rxPps, n.txPps));
    }
    out[13] = num(pressure?.cpu?.some10);
    out[14] = num(pressure?.memory?.some10);
    out[15] = num(pressure?.io?.some10);
    return out;
  }
}

function num(value: number | null | undefined): number {
  return typeof value === "number" && Number.isFinite(value) ? value : NaN;
}

function add(a: number | null | undefined, b: number | null | undefined): number {
  return num(a) + num(b);
}

/** The largest value over devices; NaN when none has one. */
function maxOf<T>(items: readonly T[], pick: (item: T) => number | null | undefined): number {
  let most = NaN;
  for (const item of items) {
    const v = num(pick(item));
    if (!Number.isNaN(v) && !(v <= most)) most = v;
  }
  return most;
}

/** log1p of the sum over devices; NaN when no device has a value yet (first sample). */
function logSum<T>(items: readonly T[], pick: (item: T) => number | null | undefined): number {
  let sum = 0, known = 0;
  for (const item of items) {
    const v = num(pick(item));
    if (Number.isNaN(v)) continue;
    sum += Math.max(0, v);
    known++;
  }
  return known === 0 ? NaN : Math.log1p(sum);
}
