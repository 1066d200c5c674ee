/**
 * The feature vector the detector sees for one sample, in a fixed order.
 *
 * Scales: byte and packet rates, which span many orders of magnitude, are on a log1p scale (so
 * 1 KB/s → 10 KB/s weighs like 1 MB/s → 10 MB/s), summed over all disks or all interfaces.
 * Utilisation that saturates (CPU, memory, disk busy) is on a headroom scale, -ln(1.01 - x/100):
 * what matters near the top is the room left, so 90 % → 99 % weighs like 10 % → 60 %. Other
 * levels stay as they are. How fast a metric moves (a memory leak) is judged by the detector
 * itself (the `change` signal), not by a feature.
 *
 * Missing values: a metric that is absent or null gives NaN here; the detector carries the
 * last known value forward, and a metric never seen (another OS, no PSI) stays 0.
 */
import type { Sample } from "../protocol/sample.ts";

/** How a metric's value is turned into its feature. */
export type FeatureScale = "linear" | "log1p" | "headroom";

/** One feature: its name, scale and smallest meaningful change. */
export interface FeatureInfo {
  /** Metric-like name (`cpu.usage`, `disk.writeBps`), shown as the reason of an anomaly. */
  name: string;
  /**
   * The smallest change worth calling unusual, in the feature's own (scaled) units: the
   * detector's spread of a feature is never below it, so noise on a metric that barely moves
   * never counts. 0 means "unknown: use the data's own spread".
   */
  floor: number;
  /** Default linear. */
  scale?: FeatureScale;
  /** Limits of the metric's real values (percentages: 0..100); normal ranges stay inside. */
  bounds?: readonly [number, number];
}

/** Room left below 100 % that still counts: the headroom scale ends at -ln(0.01) = 4.6. */
const HEADROOM_SLACK = 0.01;
const PERCENT: readonly [number, number] = [0, 100];
const NONNEGATIVE: readonly [number, number] = [0, Infinity];

/** The features of a sample, in vector order. */
export const SAMPLE_FEATURES: readonly FeatureInfo[] = [
  { name: "cpu.usage", floor: 0.1, scale: "headroom", bounds: PERCENT },
  { name: "cpu.iowait", floor: 5, bounds: PERCENT },
  { name: "mem.usedPct", floor: 0.01, scale: "headroom", bounds: PERCENT },
  { name: "mem.swapUsedPct", floor: 3, bounds: PERCENT },
  { name: "load.perCore", floor: 0.25, bounds: NONNEGATIVE },
  { name: "disk.readBps", floor: 0.5, scale: "log1p", bounds: NONNEGATIVE },
  { name: "disk.writeBps", floor: 0.5, scale: "log1p", bounds: NONNEGATIVE },
  { name: "disk.iops", floor: 0.5, scale: "log1p", bounds: NONNEGATIVE },
  { name: "disk.utilPct", floor: 0.1, scale: "headroom", bounds: PERCENT },
  { name: "net.rxBps", floor: 0.5, scale: "log1p", bounds: NONNEGATIVE },
  { name: "net.txBps", floor: 0.5, scale: "log1p", bounds: NONNEGATIVE },
  { name: "net.pps", floor: 0.5, scale: "log1p", bounds: NONNEGATIVE },
  { name: "pressure.cpu.some10", floor: 10, bounds: PERCENT },
  { name: "pressure.memory.some10", floor: 10, bounds: PERCENT },
  { name: "pressure.io.some10", floor: 10, bounds: PERCENT },
];

/** The feature value of a real metric value `value`. */
export function scaledValue(info: FeatureInfo, value: number): number {
  switch (info.scale) {
    case "log1p":
      return Math.log1p(Math.max(0, value));
    case "headroom":
      return -Math.log(1 + HEADROOM_SLACK - Math.min(100, Math.max(0, value)) / 100);
    default:
      return value;
  }
}

/** The real metric value of a feature value: the inverse of `scaledValue`. */
export function realValue(info: FeatureInfo, value: number): number {
  switch (info.scale) {
    case "log1p":
      return Math.expm1(value);
    case "headroom":
      return 100 * (1 + HEADROOM_SLACK - Math.exp(-value));
    default:
      return value;
  }
}

/** Turns samples into feature vectors, and says which device leads each summed feature. */
export class SampleFeatures {
  /** Per feature, the device with the largest share of the last sample's sum (or undefined). */
  readonly devices: (string | undefined)[] = SAMPLE_FEATURES.map(() => undefined);

  /** The feature vector of `sample` (NaN where unknown), in `SAMPLE_FEATURES` order. */
  extract(sample: Sample): Float64Array {
    const raw = new Float64Array(SAMPLE_FEATURES.length).fill(NaN);
    const { cpu, mem, load, pressure } = sample;
    this.devices.fill(undefined);
    raw[0] = num(cpu?.usage);
    raw[1] = num(cpu?.iowait);
    raw[2] = num(mem?.usedPct);
    if (mem) raw[3] = mem.swapTotal > 0 ? (100 * mem.swapUsed) / mem.swapTotal : 0;
    const cores = cpu?.cores?.length ?? 0;
    if (load && cores > 0) raw[4] = load["1"] / cores;
    if (sample.disks) {
      const disks = sample.disks;
      this.#sum(raw, 5, disks, (d) => d.readBps, (d) => d.name);
      this.#sum(raw, 6, disks, (d) => d.writeBps, (d) => d.name);
      this.#sum(raw, 7, disks, (d) => add(d.readIops, d.writeIops), (d) => d.name);
      for (const d of disks) {
        const util = num(d.utilPct);
        if (!Number.isNaN(util) && !(util <= raw[8])) {
          raw[8] = util;
          this.devices[8] = d.name;
        }
      }
    }
    if (sample.net) {
      const net = sample.net;
      this.#sum(raw, 9, net, (n) => n.rxBps, (n) => n.iface);
      this.#sum(raw, 10, net, (n) => n.txBps, (n) => n.iface);
      this.#sum(raw, 11, net, (n) => add(n.rxPps, n.txPps), (n) => n.iface);
    }
    raw[12] = num(pressure?.cpu?.some10);
    raw[13] = num(pressure?.memory?.some10);
    raw[14] = num(pressure?.io?.some10);
    for (let f = 0; f < raw.length; f++) {
      if (!Number.isNaN(raw[f])) raw[f] = scaledValue(SAMPLE_FEATURES[f], raw[f]);
    }
    return raw;
  }

  /** Sum over devices into `out[f]` (NaN when none has a value), noting the largest one. */
  #sum<T>(
    out: Float64Array,
    f: number,
    items: readonly T[],
    pick: (item: T) => number | null | undefined,
    name: (item: T) => string,
  ): void {
    let sum = 0, known = 0, most = -1;
    for (const item of items) {
      const v = num(pick(item));
      if (Number.isNaN(v)) continue;
      sum += Math.max(0, v);
      known++;
      if (v > most) {
        most = v;
        this.devices[f] = name(item);
      }
    }
    out[f] = known === 0 ? NaN : sum;
  }
}

function num(value: number | null | undefined): number {
  return typeof value === "number" && Number.isFinite(value) ? value : NaN;
}

function add(a: number | null | undefined, b: number | null | undefined): number {
  return num(a) + num(b);
}
