/**
 * The streaming detector: one per machine (or per CSV in `gridmon score --mode stream`).
 *
 * For every sample, each feature (metric) gives univariate evidence at several time scales
 * (metric_evidence.ts: spike or new level, change, time of day, sustained shift, daily shape)
 * and, with two features or more, an Isolation Forest grown on the same history gives
 * multivariate evidence (forest_evidence.ts).
 * Every piece of evidence is calibrated against its own past (tail_calibrator.ts) into a rarity:
 * how often a value this extreme turns up. The strongest piece is turned into an expected
 * count per day, over all the tests made (Bonferroni: features × signals + forest), and
 * compared with ALARMS_PER_DAY: a sample is alarming when, on data that behaves as it has, so
 * extreme a sample would turn up less often than that. This makes the score mean the same on
 * every machine, metric and sampling rate: one threshold serves the fleet. The score is
 * 0.5 at the alarm level, moving by 1/8 per decade (event_tracker.ts), and events, rest and
 * hysteresis follow event_tracker.ts. All time settings come from the sample interval
 * (time_scales.ts).
 *
 * Learning: the history window (history_window.ts) takes one sample per stride; robust
 * statistics of one feature and a few calibrators are refreshed per observed sample, and a
 * forest refit runs in steps, so the cost of each call stays small and bounded. Samples of an
 * open event are not learnt until the event has lasted `adapt` samples.
 *
 * Causes: the features most rare on the sample, strongest first (at most 3), each only when its
 * value is outside its normal range (the 5th to 95th percentile of its history, at least a
 * floor wide). Values and ranges are in the metric's own units.
 *
 * Missing values (NaN) carry the last known value forward; a feature never seen stays 0.
 * Everything is deterministic: forest refit k uses seed `seed + k`.
 */
import type {
  AnomalyCause,
  AnomalyCloseReason,
  AnomalyEvent,
  Verdict,
} from "../master/store/store_types.ts";
import { EventTracker } from "./event_tracker.ts";
import { type FeatureInfo, realValue } from "./features.ts";
import { ForestEvidence, STREAM_TREES } from "./forest_evidence.ts";
import { type ColumnStats, columnStats, HistoryWindow } from "./history_window.ts";
import { MetricEvidence, type SignalName, SIGNALS } from "./metric_evidence.ts";
import { HISTORY_ROWS, type TimeScales, timeScales } from "./time_scales.ts";

/** The alarm level: alarms per day that data behaving as it has would raise by chance. */
export const ALARMS_PER_DAY = 1 / 30;
/** Causes listed at most. */
const MAX_CAUSES = 3;
/** Forest refits after this many new history rows (and once the warm-up is over). */
const REFIT_AFTER_ROWS = 32;

/** Settings of a StreamingDetector. */
export interface DetectorOptions {
  /** Milliseconds between samples (required): every time setting follows from it. */
  intervalMs: number;
  /** Seed of the forest (default 1). */
  seed?: number;
  /** Trees of the forest (default 100); 0 leaves the forest out. */
  trees?: number;
  /** Overrides of the settings derived from the interval (for experiments and tests). */
  scales?: Partial<Omit<TimeScales, "intervalMs" | "samplesPerDay">>;
}

/** An anomaly event as the store keeps it, without its id. */
export type DetectorEvent = Omit<AnomalyEvent, "id">;

/** A change to the current event: opened, updated (new peak) or closed. */
export interface EventTransition {
  kind: "opened" | "updated" | "closed";
  event: DetectorEvent;
}

/** The outcome of one observed vector. */
export interface Observation {
  /** The verdict as the master stores it: score null during warm-up. */
  verdict: Verdict;
  /** The score in 0..1 (also during warm-up, where nothing alarms). */
  score: number;
  /** Present when this vector opened, updated or closed an event. */
  transition?: EventTransition;
  /** The causes behind an anomalous verdict, strongest first. */
  causes?: AnomalyCause[];
  /** The strongest evidence on this sample: which feature and signal, how far past the alarm. */
  strongest: Strongest;
}

/** The strongest piece of evidence on a sample. */
export interface Strongest {
  /** Feature name (for the forest: the feature with the strongest univariate evidence). */
  feature: string;
  /** A univariate signal (metric_evidence.ts) or "forest". */
  signal: SignalName | "forest";
  /** Decades past the alarm level (>= 0: alarming; -Infinity during warm-up). */
  excess: number;
}

/** A feature's normal range in its own units. */
export interface NormalRange {
  name: string;
  low: number;
  high: number;
}

/** Scores a stream of feature vectors against the stream's own past. */
export class StreamingDetector {
  readonly features: readonly FeatureInfo[];
  readonly machineId: string;
  readonly scales: TimeScales;
  readonly #nF: number;
  readonly #window: HistoryWindow;
  readonly #metrics: MetricEvidence[];
  readonly #stats: (ColumnStats | null)[];
  readonly #forest: ForestEvidence | null;
  readonly #tracker: EventTracker;
  readonly #last: Float64Array;
  readonly #x: Float64Array;
  readonly #rarity: Float64Array;
  readonly #tests: number;
  #seen = 0;
  #nextStats = 0;
  #nextCalibrator = 0;
  #fitted = false;
  #rowsSinceFit = 0;

  constructor(features: readonly FeatureInfo[], options: DetectorOptions, machineId = "") {
    if (features.length === 0) throw new RangeError("StreamingDetector needs at least one feature");
    this.scales = { ...timeScales(options.intervalMs), ...options.scales };
    const trees = options.trees ?? STREAM_TREES;
    if (!Number.isInteger(trees) || trees < 0) {
      throw new RangeError(`StreamingDetector: trees must be a whole number >= 0, got ${trees}`);
    }
    this.features = features;
    this.machineId = machineId;
    this.#nF = features.length;
    this.#window = new HistoryWindow(HISTORY_ROWS, this.#nF, this.scales.maxStride);
    this.#metrics = features.map((f) => new MetricEvidence(this.scales, f.floor));
    this.#stats = features.map(() => null);
    // One feature alone has no combinations to find: its value signal says all the forest could.
    this.#forest = trees > 0 && this.#nF >= 2
      ? new ForestEvidence(
        features.map((f) => f.floor),
        this.scales.maxStride,
        options.seed ?? 1,
        trees,
      )
      : null;
    this.#tracker = new EventTracker(machineId, this.scales);
    this.#last = new Float64Array(this.#nF);
    this.#x = new Float64Array(this.#nF);
    this.#rarity = new Float64Array(this.#nF);
    this.#tests = this.#nF * SIGNALS.length + (this.#forest ? 1 : 0);
  }

  /** Stored samples a warm start should read: those the history spans. */
  get historyWanted(): number {
    return HISTORY_ROWS * this.scales.maxStride;
  }

  /** Bytes of the history, calibrators, profiles and forest: the bulk of what a detector holds. */
  get byteLength(): number {
    return this.#window.byteLength + (this.#forest?.byteLength ?? 0) +
      this.#metrics.reduce((sum, m) => sum + m.byteLength, 0);
  }

  /** Rows in the history window. */
  get windowSize(): number {
    return this.#window.size;
  }

  /** Whether the warm-up is over (verdicts are given). */
  get warm(): boolean {
    return this.#seen >= this.scales.warmup;
  }

  /** The open event, if any. */
  get openEvent(): DetectorEvent | null {
    return this.#tracker.openEvent;
  }

  /** Normal range per feature in its own units, or null before the first statistics. */
  normalRange(): NormalRange[] | null {
    if (this.#stats.some((s) => s === null)) return null;
    return this.features.map((f, i) => ({ name: f.name, ...rangeOf(f, this.#stats[i]!) }));
  }

  /**
   * Adds a vector to the history without judging it (warm start from stored samples). Call
   * `refit()` after the last one.
   */
  learn(ts: number, values: ArrayLike<number>): void {
    const x = this.#take(values);
    for (let f = 0; f < this.#nF; f++) this.#metrics[f].update(ts, x[f]);
    this.#forest?.update(x);
    // The statistics deviations are measured against follow the history row by row; the
    // calibrators and the forest are fitted by `refit()`.
    if (this.#learn(ts, x)) { for (let f = 0; f < this.#nF; f++) this.#refreshStats(f); }
  }

  /** Brings every statistic, calibrator and the forest up to date at once. */
  refit(): void {
    if (this.#window.size < 2) return;
    for (let f = 0; f < this.#nF; f++) this.#refreshStats(f);
    for (const m of this.#metrics) m.refitAll();
    if (this.#forest) {
      this.#forest.refitCalibrator();
      this.#forest.startRefit(this.#window, this.#stats);
      this.#forest.finish();
      this.#fitted = true;
      this.#rowsSinceFit = 0;
    }
  }

  /**
   * Judges one vector taken at time `ts` (ms), learns from it, and reports any event change.
   * `devices` names, per feature, the device leading a sum over devices (for causes).
   */
  observe(
    ts: number,
    values: ArrayLike<number>,
    devices?: readonly (string | undefined)[],
  ): Observation {
    const x = this.#take(values);
    const { samplesPerDay } = this.scales;
    let strongest: Strongest = { feature: this.features[0].name, signal: "value", excess: 0 };
    let best = -Infinity;
    for (let f = 0; f < this.#nF; f++) {
      const m = this.#metrics[f];
      m.update(ts, x[f]);
      const judgement = m.judge(samplesPerDay);
      this.#rarity[f] = judgement.rarity;
      if (judgement.rarity > best) {
        best = judgement.rarity;
        strongest = { feature: this.features[f].name, signal: judgement.signal, excess: 0 };
      }
    }
    const forest = this.#forest;
    if (forest) {
      forest.update(x);
      const rarity = forest.rarityPerDay(samplesPerDay);
      if (rarity > best) {
        best = rarity;
        strongest = { ...strongest, signal: "forest" };
      }
    }
    const warm = this.warm;
    // Decades rarer than ALARMS_PER_DAY over all the tests made.
    const excess = warm ? best - Math.log10(this.#tests / ALARMS_PER_DAY) : -Infinity;
    strongest.excess = excess;
    const tracked = this.#tracker.track(ts, excess, () => this.#causes(x, devices));
    const causes = tracked.anomalous ? this.#causes(x, devices) : undefined;
    const verdict: Verdict = {
      score: warm ? tracked.score : null,
      anomalous: tracked.anomalous,
      reason: tracked.anomalous ? causes?.[0]?.metric ?? strongest.feature : null,
    };
    if (tracked.learn) this.#learn(ts, x);
    else this.#hold();
    if (tracked.release) this.#release(tracked.release === "learn");
    this.#maintain();
    const observation: Observation = { verdict, score: tracked.score, strongest };
    if (causes) observation.causes = causes;
    if (tracked.transition) observation.transition = tracked.transition;
    return observation;
  }

  /** Closes the open event (if any) for `reason`, e.g. the machine went offline. */
  closeOpen(reason: AnomalyCloseReason): EventTransition | undefined {
    return this.#tracker.close(reason);
  }

  #take(values: ArrayLike<number>): Float64Array {
    if (values.length !== this.#nF) {
      throw new RangeError(`expected ${this.#nF} values, got ${values.length}`);
    }
    const x = this.#x, last = this.#last;
    for (let f = 0; f < this.#nF; f++) {
      const v = values[f];
      if (typeof v === "number" && Number.isFinite(v)) last[f] = v;
      x[f] = last[f];
    }
    return x;
  }

  /** Holds back the largest deviations of an event's samples (see EventTracker's release). */
  #hold(): void {
    for (const m of this.#metrics) m.hold();
    this.#forest?.hold();
  }

  #release(learn: boolean): void {
    for (const m of this.#metrics) m.release(learn);
    this.#forest?.release(learn);
  }

  /** Learns `x` as normal; returns whether it entered the history window. */
  #learn(ts: number, x: Float64Array): boolean {
    this.#seen++;
    const added = this.#window.offer(x);
    if (added) this.#rowsSinceFit++;
    // Deviations measured against the first few rows say little: calibrate after them.
    const calibrate = this.#seen > this.scales.warmup / 2;
    for (const m of this.#metrics) m.learn(ts, calibrate);
    if (calibrate) this.#forest?.learn();
    return added;
  }

  /**
   * A bounded share of upkeep per sample: one feature's statistics, a few calibrators, one step
   * of a forest refit. Statistics are refreshed every sample while the window is young (its
   * first HISTORY_ROWS samples).
   */
  #maintain(): void {
    const window = this.#window;
    if (window.size < 2) return;
    if (this.#stats[this.#nextStats] === null || window.stride === 1) {
      for (let f = 0; f < this.#nF; f++) this.#refreshStats(f);
    } else {
      this.#refreshStats(this.#nextStats);
      this.#nextStats = (this.#nextStats + 1) % this.#nF;
    }
    for (let k = 0; k < 4; k++) {
      const m = this.#metrics[this.#nextCalibrator];
      if (!m.refitNext()) this.#nextCalibrator = (this.#nextCalibrator + 1) % this.#nF;
    }
    const forest = this.#forest;
    if (!forest) return;
    forest.refitCalibrator();
    if (forest.step()) return;
    if (this.warm && (!this.#fitted || this.#rowsSinceFit >= REFIT_AFTER_ROWS)) {
      this.#fitted = true;
      this.#rowsSinceFit = 0;
      forest.startRefit(window, this.#stats);
      forest.step();
    }
  }

  #refreshStats(f: number): void {
    const stats = columnStats(this.#window.sortedColumn(f), this.features[f].floor);
    this.#stats[f] = stats;
    this.#metrics[f].setStats(stats);
  }

  /** Features rare on this sample and outside their normal range, strongest first. */
  #causes(x: Float64Array, devices?: readonly (string | undefined)[]): AnomalyCause[] {
    const order = Array.from(this.#rarity.keys()).sort((a, b) =>
      this.#rarity[b] - this.#rarity[a] || a - b
    );
    const causes: (AnomalyCause & { weight: number })[] = [];
    for (const f of order) {
      const stats = this.#stats[f];
      if (!stats || causes.length === MAX_CAUSES) break;
      const info = this.features[f];
      const range = rangeOf(info, stats);
      const value = realValue(info, x[f]);
      if (value >= range.low && value <= range.high) continue;
      const cause: AnomalyCause & { weight: number } = {
        metric: info.name,
        value,
        normalLow: range.low,
        normalHigh: range.high,
        contribution: 0,
        weight: Math.max(0, this.#rarity[f] + 10),
      };
      const device = devices?.[f];
      if (device) cause.device = device;
      causes.push(cause);
    }
    const total = causes.reduce((sum, c) => sum + c.weight, 0);
    return causes.map(({ weight, ...cause }) => ({
      ...cause,
      contribution: total > 0 ? Math.round((1000 * weight) / total) / 1000 : 0,
    }));
  }
}

/**
 * The normal range of feature `info` in its own units: 5th to 95th percentile of its history,
 * widened around the median to at least one floor (or two robust sigmas) so it never collapses
 * to a point, and kept within the feature's bounds.
 */
export function rangeOf(info: FeatureInfo, stats: ColumnStats): { low: number; high: number } {
  let { low, high } = stats;
  const width = Math.max(info.floor, 2 * stats.sigma);
  if (high - low < width) {
    low = Math.min(low, stats.median - width / 2);
    high = Math.max(high, stats.median + width / 2);
  }
  let realLow = realValue(info, low), realHigh = realValue(info, high);
  if (info.bounds) {
    realLow = Math.max(info.bounds[0], realLow);
    realHigh = Math.min(info.bounds[1], realHigh);
  }
  return { low: realLow, high: realHigh };
}
