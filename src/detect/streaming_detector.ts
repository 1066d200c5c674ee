/**
 * The streaming detector: one per machine (or per CSV in `gridmon score --mode stream`).
 *
 * Each observed feature vector is scored by an Isolation Forest trained on a sliding window of
 * the machine's own recent history. Decisions:
 *
 * - Window: `window` rows (default 3,600). Until `warmup` rows are in, every vector goes in;
 *   after that every `stride`-th (default 4), so the window spans about 4 hours at 1 s
 *   sampling: long enough that the machine's usual hourly bursts are part of "normal".
 * - Warm-up: no verdict (score null) until `warmup` vectors are in the window.
 * - Refit: every `refitEvery` observed vectors, in steps. A whole refit (100 trees on 256 rows
 *   of the window, 1,024 window rows scored to calibrate, percentiles) costs about 10 ms of
 *   CPU; it is cut into ~20 steps of well under a millisecond, one run per observed vector,
 *   and the old model keeps judging until the new one is complete (bench/detection_quality
 *   prints the numbers). Only the very first fit, before any verdict, runs at once.
 * - Features are quantized to a quarter of their `floor` before the forest sees them, so
 *   jitter below the smallest meaningful change cannot make a near-constant feature look
 *   informative. The window stores those quantized values as integer codes (value / step),
 *   in an Int16Array when every feature has a floor (2 bytes a value instead of 8: a master
 *   holds one window per machine), and the forest is grown on the codes in place: no copy.
 *   The envelope and the normal range are read back from codes, the envelope widened by half
 *   a step so that it still contains every value that went in.
 * - Threshold: the `quantile` (0.995) of the forest's scores on its own training window plus
 *   `margin`, at least `minThreshold`.
 * - A vector is anomalous when its score reaches the threshold AND some feature lies at least
 *   one floor outside everything the window has seen (its min..max envelope), or, whatever the
 *   score, when the features together lie `hardExceed` floors outside it (summed over
 *   features: a feature constant in training is invisible to the forest, yet a jump in it is
 *   news, and so are several metrics leaving their envelopes at once; such a vector's score is
 *   raised to the threshold so that "anomalous" always means "score >= threshold"). On an idle
 *   machine whose metrics sit still, nothing leaves the envelope by a floor: nothing flaps.
 * - Hysteresis: an event opens after `openAfter` anomalous vectors in a row and closes after
 *   `closeAfter` normal ones in a row.
 * - Anomalous vectors are kept out of the training window (so a long fault is not learnt as
 *   normal), unless they go on for `adaptAfter` vectors: then the new level is accepted.
 *
 * Everything is deterministic: refit k uses seed `seed + k`.
 */
import type {
  AnomalyCause,
  AnomalyCloseReason,
  AnomalyEvent,
  Verdict,
} from "../master/store/store_types.ts";
import type { FeatureInfo } from "./features.ts";
import { growForest, type IsolationForest } from "./isolation_forest.ts";
import { quantileSorted } from "./quantile.ts";

/** Tuning of a StreamingDetector; every field has a default. */
export interface DetectorOptions {
  /** Vectors before the first verdict (default 120). */
  warmup?: number;
  /** Training window length in rows (default 3600). */
  window?: number;
  /** After warm-up, one observed vector in `stride` enters the window (default 4). */
  stride?: number;
  /** Refit after this many observed vectors (default 300). */
  refitEvery?: number;
  trees?: number;
  sampleSize?: number;
  seed?: number;
  /** Quantile of training scores the threshold starts from (default 0.995). */
  quantile?: number;
  /** Added to that quantile (default 0.02). */
  margin?: number;
  /** Lowest threshold (default 0.5, scikit-learn's "auto" cut). */
  minThreshold?: number;
  /** Floors outside the normal range that make a vector anomalous on their own (default 3). */
  hardExceed?: number;
  /** Anomalous vectors in a row that open an event (default 3). */
  openAfter?: number;
  /** Normal vectors in a row that close it (default 10). */
  closeAfter?: number;
  /**
   * Anomalous vectors in a row after which they are learnt as normal (default a quarter of
   * the vectors the window spans: window × stride / 16).
   */
  adaptAfter?: number;
  /** Window rows scored and summarised at each refit (default 1024). */
  calibrationRows?: number;
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
  verdict: Verdict;
  /** Present when this vector opened, updated or closed an event. */
  transition?: EventTransition;
  /** The causes behind an anomalous verdict, strongest first. */
  causes?: AnomalyCause[];
}

interface Model {
  forest: IsolationForest;
  threshold: number;
  /** 1st and 99th percentiles: the normal range reported in causes. */
  low: Float64Array;
  high: Float64Array;
  /** Min and max over the whole window: what a vector must leave to count as unusual. */
  envLow: Float64Array;
  envHigh: Float64Array;
  scale: Float64Array;
}

const INT16_MAX = 32767;

const DEFAULTS = {
  warmup: 120,
  window: 3600,
  stride: 4,
  refitEvery: 300,
  trees: 100,
  sampleSize: 256,
  seed: 1,
  quantile: 0.995,
  margin: 0.02,
  minThreshold: 0.5,
  hardExceed: 3,
  openAfter: 3,
  closeAfter: 10,
  calibrationRows: 1024,
};

/** Scores a stream of feature vectors against the stream's own recent past. */
export class StreamingDetector {
  readonly features: readonly FeatureInfo[];
  readonly machineId: string;
  readonly #o: Required<DetectorOptions>;
  readonly #nF: number;
  /** Ring of `window` rows of codes (see `#encode`). */
  readonly #window: Int16Array | Float64Array;
  #head = 0;
  #size = 0;
  readonly #last: Float64Array;
  readonly #x: Float64Array;
  readonly #q: Float64Array;
  readonly #steps: Float64Array;
  #model: Model | null = null;
  #fits = 0;
  #addedSinceFit = 0;
  #pending: Generator<void, void, void> | null = null;
  #observed = 0;
  #excluded = 0;
  #streak = 0;
  #streakStart = 0;
  #streakPeak: { score: number; causes: AnomalyCause[] } | null = null;
  #calm = 0;
  #lastAnomalous = 0;
  #open: DetectorEvent | null = null;

  constructor(features: readonly FeatureInfo[], options: DetectorOptions = {}, machineId = "") {
    if (features.length === 0) throw new RangeError("StreamingDetector needs at least one feature");
    const o = { ...DEFAULTS, ...withoutUndefined(options) };
    const adaptAfter = options.adaptAfter ?? Math.floor((o.window * o.stride) / 16);
    for (
      const key of ["warmup", "window", "stride", "refitEvery", "openAfter", "closeAfter"] as const
    ) {
      if (!Number.isInteger(o[key]) || o[key] < 1) {
        throw new RangeError(`StreamingDetector: ${key} must be a whole number >= 1`);
      }
    }
    if (o.warmup < 2 || o.warmup > o.window) {
      throw new RangeError(`StreamingDetector: warmup must be in 2..window (${o.window})`);
    }
    if (!(o.quantile > 0 && o.quantile <= 1)) {
      throw new RangeError("StreamingDetector: quantile must be in (0, 1]");
    }
    this.#o = { ...o, adaptAfter };
    this.features = features;
    this.machineId = machineId;
    this.#nF = features.length;
    this.#steps = Float64Array.from(features, (f) => f.floor / 4);
    this.#window = this.#steps.every((step) => step > 0)
      ? new Int16Array(o.window * this.#nF)
      : new Float64Array(o.window * this.#nF);
    this.#last = new Float64Array(this.#nF);
    this.#x = new Float64Array(this.#nF);
    this.#q = new Float64Array(this.#nF);
  }

  /** The current threshold, or null before the first fit. */
  get threshold(): number | null {
    return this.#model?.threshold ?? null;
  }

  /** How many past vectors fill the window (window × stride): what a warm start should read. */
  get historyWanted(): number {
    return this.#o.window * this.#o.stride;
  }

  /** Bytes of the window and the current forest: the bulk of what a detector holds. */
  get byteLength(): number {
    return this.#window.byteLength + (this.#model?.forest.byteLength ?? 0);
  }

  /** Vectors now in the training window. */
  get windowSize(): number {
    return this.#size;
  }

  /** The open event, if any. */
  get openEvent(): DetectorEvent | null {
    return this.#open;
  }

  /** Normal range (1st–99th percentile) per feature in real units, or null before the first fit. */
  normalRange(): { name: string; low: number; high: number }[] | null {
    const model = this.#model;
    if (!model) return null;
    return this.features.map((f, i) => ({
      name: f.name,
      low: real(f, model.low[i]),
      high: real(f, model.high[i]),
    }));
  }

  /**
   * Adds a vector to the history without judging it (warm start from stored samples). Call
   * `refit()` after the last one: learning alone never fits.
   */
  learn(values: ArrayLike<number>): void {
    if (values.length !== this.#nF) {
      throw new RangeError(`learn: expected ${this.#nF} values, got ${values.length}`);
    }
    this.#observed++;
    const x = this.#impute(values);
    if (this.#size < this.#o.warmup || this.#observed % this.#o.stride === 0) this.#push(x);
  }

  /** Fits now if the window holds at least `warmup` vectors; returns whether it did. */
  refit(): boolean {
    if (this.#size < this.#o.warmup) return false;
    this.#fitNow();
    return true;
  }

  /** Judges one vector taken at time `ts` (ms), learns from it, and reports any event change. */
  observe(ts: number, values: ArrayLike<number>): Observation {
    if (values.length !== this.#nF) {
      throw new RangeError(`observe: expected ${this.#nF} values, got ${values.length}`);
    }
    const x = this.#impute(values);
    let verdict: Verdict = { score: null, anomalous: false, reason: null };
    let causes: AnomalyCause[] | undefined;
    const model = this.#model;
    if (model) {
      const judged = this.#judge(model, x);
      verdict = { score: judged.score, anomalous: judged.anomalous, reason: null };
      if (judged.anomalous) {
        causes = this.#causes(model, x, judged.exceed);
        verdict.reason = causes[0]?.metric ?? null;
      }
    }
    this.#observed++;
    if (!verdict.anomalous || this.#excluded >= this.#o.adaptAfter) {
      if (this.#size < this.#o.warmup || this.#observed % this.#o.stride === 0) this.#push(x);
      if (!verdict.anomalous) this.#excluded = 0;
    } else {
      this.#excluded++;
    }
    this.#addedSinceFit++;
    if (this.#pending) {
      if (this.#pending.next().done) this.#pending = null;
    } else if (this.#size >= this.#o.warmup) {
      if (!this.#model) this.#fitNow();
      else if (this.#addedSinceFit >= this.#o.refitEvery) {
        this.#pending = this.#refitSteps();
        if (this.#pending.next().done) this.#pending = null;
      }
    }
    const transition = this.#track(ts, verdict, causes);
    return transition ? { verdict, causes, transition } : { verdict, causes };
  }

  #impute(values: ArrayLike<number>): Float64Array {
    const x = this.#x, last = this.#last;
    for (let f = 0; f < this.#nF; f++) {
      const v = values[f];
      if (typeof v === "number" && Number.isFinite(v)) last[f] = v;
      x[f] = last[f];
    }
    return x;
  }

  #push(x: Float64Array): void {
    const window = this.#window, at = this.#head * this.#nF;
    this.#encode(x, this.#q);
    if (window instanceof Int16Array) {
      for (let f = 0; f < this.#nF; f++) {
        window[at + f] = Math.max(-INT16_MAX, Math.min(INT16_MAX, this.#q[f]));
      }
    } else {
      window.set(this.#q, at);
    }
    this.#head = (this.#head + 1) % this.#o.window;
    if (this.#size < this.#o.window) this.#size++;
  }

  /** Codes of `x`: the number of quarter floors, rounded (the value itself without a floor). */
  #encode(x: Float64Array, out: Float64Array): void {
    const steps = this.#steps;
    for (let f = 0; f < this.#nF; f++) {
      const step = steps[f];
      out[f] = step > 0 ? Math.round(x[f] / step) : x[f];
    }
  }

  /** The value of code `code` of feature `f`, moved by `half` steps. */
  #decode(code: number, f: number, half = 0): number {
    const step = this.#steps[f];
    return step > 0 ? (code + half) * step : code;
  }

  /** Runs a whole refit at once (the first fit, and `refit()`). */
  #fitNow(): void {
    this.#pending = null;
    const steps = this.#refitSteps();
    for (;;) {
      const step = steps.next();
      if (step.done) break;
    }
  }

  /**
   * A refit in small steps; the model is swapped in at the end. Each step (envelope, ranges,
   * 10 trees, 128 calibration rows) takes well under a millisecond, and `observe` runs one
   * step per call, so no single sample waits for a whole refit. Steps read the window in
   * place: rows that arrive meanwhile (a few, at one in `stride`) replace the oldest ones, so
   * later trees and calibration rows may see them; the window's first `n` rows stay valid.
   */
  *#refitSteps(): Generator<void, void, void> {
    const nF = this.#nF, n = this.#size, o = this.#o, window = this.#window;
    const seed = o.seed + this.#fits++;
    this.#addedSinceFit = 0;
    const envLow = new Float64Array(nF).fill(Infinity);
    const envHigh = new Float64Array(nF).fill(-Infinity);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < nF; f++) {
        const v = window[r * nF + f];
        if (v < envLow[f]) envLow[f] = v;
        if (v > envHigh[f]) envHigh[f] = v;
      }
    }
    for (let f = 0; f < nF; f++) {
      envLow[f] = this.#decode(envLow[f], f, -0.5);
      envHigh[f] = this.#decode(envHigh[f], f, 0.5);
    }
    // Calibrate on (at most) calibrationRows evenly spaced window rows.
    const m = Math.min(n, o.calibrationRows);
    yield;
    const low = new Float64Array(nF), high = new Float64Array(nF), scale = new Float64Array(nF);
    const column = new Float64Array(m);
    for (let f = 0; f < nF; f++) {
      for (let i = 0; i < m; i++) column[i] = window[Math.floor((i * n) / m) * nF + f];
      column.sort();
      low[f] = this.#decode(quantileSorted(column, 0.01), f);
      high[f] = this.#decode(quantileSorted(column, 0.99), f);
      const floor = this.features[f].floor;
      scale[f] = floor > 0 ? floor : 0.25 *
        Math.max(high[f] - low[f], 1e-9 * Math.max(1, Math.abs(low[f]), Math.abs(high[f])));
    }
    yield;
    const options = { trees: o.trees, sampleSize: o.sampleSize, seed };
    const growing = growForest(window, n, nF, options, 10);
    let forest: IsolationForest;
    for (;;) {
      const step = growing.next();
      if (step.done) {
        forest = step.value;
        break;
      }
      yield;
    }
    const scores = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      scores[i] = forest.scoreRow(window, Math.floor((i * n) / m) * nF);
      if (i % 128 === 127 && i + 1 < m) yield;
    }
    scores.sort();
    const threshold = Math.max(o.minThreshold, quantileSorted(scores, o.quantile) + o.margin);
    this.#model = { forest, threshold, low, high, envLow, envHigh, scale };
  }

  #judge(model: Model, x: Float64Array) {
    this.#encode(x, this.#q);
    const raw = model.forest.scoreRow(this.#q, 0);
    const exceed = new Float64Array(this.#nF);
    let most = 0, sum = 0;
    for (let f = 0; f < this.#nF; f++) {
      const out = Math.max(0, x[f] - model.envHigh[f], model.envLow[f] - x[f]) / model.scale[f];
      exceed[f] = out;
      if (out > most) most = out;
      sum += out;
    }
    const hard = sum >= this.#o.hardExceed;
    const anomalous = (raw >= model.threshold && most >= 1) || hard;
    const score = hard ? Math.max(raw, model.threshold) : raw;
    return { score, anomalous, exceed };
  }

  /**
   * Causes of an anomalous vector: a quarter of each feature's share comes from the forest's
   * attribution (which features' splits isolated it), three quarters from how far outside the
   * window's envelope it lies (in floors). The envelope weighs more because a forest cannot
   * tell "just above the largest value seen" from "far above it": both fall in the same leaves. Features with at least 10% share, strongest first (at most 3).
   */
  #causes(model: Model, x: Float64Array, exceed: Float64Array): AnomalyCause[] {
    const attribution = model.forest.attribute(this.#q, 0);
    let attrSum = 0, exceedSum = 0;
    for (let f = 0; f < this.#nF; f++) {
      attrSum += Math.max(0, attribution[f]);
      exceedSum += exceed[f];
    }
    const wA = attrSum > 0 ? (exceedSum > 0 ? 0.25 : 1) : 0;
    const wE = exceedSum > 0 ? 1 - wA : 0;
    const shares = this.features.map((info, f) => ({
      info,
      f,
      share: (attrSum > 0 ? (wA * Math.max(0, attribution[f])) / attrSum : 0) +
        (exceedSum > 0 ? (wE * exceed[f]) / exceedSum : 0),
    }));
    shares.sort((a, b) => b.share - a.share || a.f - b.f);
    return shares
      .filter((s, i) => i === 0 || s.share >= 0.1)
      .slice(0, 3)
      .map(({ info, f, share }) => ({
        metric: info.name,
        value: real(info, x[f]),
        normalLow: real(info, model.low[f]),
        normalHigh: real(info, model.high[f]),
        contribution: Math.round(share * 1000) / 1000,
      }));
  }

  #track(ts: number, verdict: Verdict, causes?: AnomalyCause[]): EventTransition | undefined {
    if (verdict.anomalous) {
      const score = verdict.score ?? 0;
      this.#calm = 0;
      this.#lastAnomalous = ts;
      if (this.#streak === 0) {
        this.#streakStart = ts;
        this.#streakPeak = null;
      }
      this.#streak++;
      if (!this.#streakPeak || score > this.#streakPeak.score) {
        this.#streakPeak = { score, causes: causes ?? [] };
      }
      const open = this.#open;
      if (open) {
        if (score <= open.peakScore) return undefined;
        open.peakScore = score;
        open.causes = causes ?? [];
        open.reason = causes?.[0]?.metric ?? open.reason;
        return { kind: "updated", event: { ...open } };
      }
      if (this.#streak < this.#o.openAfter) return undefined;
      const peak = this.#streakPeak!;
      this.#open = {
        machineId: this.machineId,
        start: this.#streakStart,
        end: null,
        peakScore: peak.score,
        reason: peak.causes[0]?.metric ?? "",
        causes: peak.causes,
        closeReason: null,
      };
      return { kind: "opened", event: { ...this.#open } };
    }
    this.#streak = 0;
    if (!this.#open) return undefined;
    this.#calm++;
    if (this.#calm < this.#o.closeAfter) return undefined;
    return this.#close(this.#lastAnomalous, "recovered");
  }

  /**
   * Closes the open event (if any) for a reason other than recovery, e.g. the machine went
   * offline: it ends at the last anomalous vector, and the next vector starts a fresh streak.
   */
  closeOpen(reason: AnomalyCloseReason): EventTransition | undefined {
    this.#streak = 0;
    return this.#open ? this.#close(this.#lastAnomalous, reason) : undefined;
  }

  #close(end: number, closeReason: AnomalyCloseReason): EventTransition {
    const closed = { ...this.#open!, end, closeReason };
    this.#open = null;
    this.#calm = 0;
    return { kind: "closed", event: closed };
  }
}

function real(info: FeatureInfo, value: number): number {
  return info.log ? Math.expm1(value) : value;
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<
    T
  >;
}
