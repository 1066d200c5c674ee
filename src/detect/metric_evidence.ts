/**
 * One metric's univariate evidence, at several time scales. With `med` and `sigma` the robust
 * centre and spread of the metric's history (HistoryWindow), `now` its average over the last
 * `short` samples, `recent` over the last `mid`, and `usual(t)` its daily profile:
 *
 * | signal    | deviation, in sigmas        | sees                                    |
 * |-----------|-----------------------------|-----------------------------------------|
 * | value     | x - med                     | a spike, a new level                    |
 * | change    | now - recent                | a jump or a ramp within the usual range |
 * | daily     | now - usual(t)              | the wrong level for the time of day     |
 * | sustained | recent - med                | a smaller shift that lasts              |
 * | shape     | recent average of x - usual | a changed daily shape (a flat middle)   |
 *
 * Each deviation's size goes through its own TailCalibrator, which knows how large that
 * deviation usually gets on this metric, and comes out as a rarity in decades (-log10 of the
 * chance that a block of the calibrator's stride holds one this large).
 */
import { DailyProfile } from "./daily_profile.ts";
import type { ColumnStats } from "./history_window.ts";
import { TailCalibrator } from "./tail_calibrator.ts";
import { HISTORY_ROWS, type TimeScales } from "./time_scales.ts";

export const SIGNALS = ["value", "change", "daily", "sustained", "shape"] as const;
export type SignalName = typeof SIGNALS[number];

/** The smallest tail scale of a deviation, in sigmas. */
const MIN_TAIL_SCALE = 0.05;
/** The tail scale is at least this many of the metric's floors (see `#minScale`). */
const FLOORS_PER_TAIL_SCALE = 0.5;

/** What one metric says about one sample. */
export interface MetricJudgement {
  /** Largest rarity over the signals: -log10 of how many samples a day are this extreme. */
  rarity: number;
  /** The signal that gave it. */
  signal: SignalName;
  /** +1 when the metric is above what is usual, -1 below. */
  direction: 1 | -1;
}

export class MetricEvidence {
  readonly #aShort: number;
  readonly #aMid: number;
  readonly #profile: DailyProfile;
  readonly #calibrators: TailCalibrator[];
  readonly #deviations = new Float64Array(SIGNALS.length);
  /** Largest deviations held back during an event (see `hold`). */
  readonly #held = new Float64Array(SIGNALS.length);
  #now = NaN;
  #recent = NaN;
  #shape = 0;
  #stats: ColumnStats | null = null;
  #next = 0;

  readonly #floor: number;

  /** `floor`: the metric's smallest meaningful change (0: none known). */
  constructor(scales: TimeScales, floor = 0) {
    this.#floor = floor;
    this.#aShort = 1 / scales.short;
    this.#aMid = 1 / scales.mid;
    this.#profile = new DailyProfile(scales.intervalMs);
    this.#calibrators = SIGNALS.map(() =>
      new TailCalibrator(HISTORY_ROWS, scales.maxStride, MIN_TAIL_SCALE)
    );
  }

  get byteLength(): number {
    return this.#profile.byteLength + this.#calibrators.reduce((s, c) => s + c.byteLength, 0);
  }

  /** Samples per calibrator block (all of a metric's calibrators move together). */
  get stride(): number {
    return this.#calibrators[0].stride;
  }

  /** The robust summary in use (null before the first). */
  get stats(): ColumnStats | null {
    return this.#stats;
  }

  /** Sets the robust summary of the metric's history. */
  setStats(stats: ColumnStats): void {
    this.#stats = stats;
  }

  /** Refits one calibrator (round robin); returns false once every one has been refitted. */
  refitNext(): boolean {
    this.#calibrators[this.#next].refit(this.#minScale());
    this.#next = (this.#next + 1) % this.#calibrators.length;
    return this.#next !== 0;
  }

  /** Refits every calibrator. */
  refitAll(): void {
    for (const c of this.#calibrators) c.refit(this.#minScale());
  }

  /**
   * The smallest tail scale, in sigmas: MIN_TAIL_SCALE, and never below FLOORK floors, so that
   * excursions a few floors beyond the largest seen are not made infinitely rare.
   */
  #minScale(): number {
    const sigma = this.#stats?.sigma;
    return sigma
      ? Math.max(MIN_TAIL_SCALE, (FLOORS_PER_TAIL_SCALE * this.#floor) / sigma)
      : MIN_TAIL_SCALE;
  }

  /**
   * Takes the sample's value `x` at time `ts`: moves the averages and computes the deviations
   * (kept for `learn`). Call once per sample, before `judge` and `learn`.
   */
  update(ts: number, x: number): void {
    this.#now = Number.isNaN(this.#now) ? x : this.#now + this.#aShort * (x - this.#now);
    this.#recent = Number.isNaN(this.#recent) ? x : this.#recent + this.#aMid * (x - this.#recent);
    const usual = this.#profile.expected(ts);
    if (!Number.isNaN(usual)) this.#shape += this.#aMid * (x - usual - this.#shape);
    const stats = this.#stats, d = this.#deviations;
    if (!stats) {
      d.fill(0);
      return;
    }
    const { median, sigma } = stats;
    d[0] = (x - median) / sigma;
    d[1] = (this.#now - this.#recent) / sigma;
    // NaN: no time-of-day level yet, so those signals neither judge nor learn.
    d[2] = (this.#now - usual) / sigma;
    d[3] = (this.#recent - median) / sigma;
    d[4] = Number.isNaN(usual) ? NaN : this.#shape / sigma;
  }

  /** The metric's evidence on the sample last given to `update`. */
  judge(samplesPerDay: number): MetricJudgement {
    let rarity = -Infinity, best = 0;
    for (let k = 0; k < SIGNALS.length; k++) {
      const deviation = this.#deviations[k];
      if (Number.isNaN(deviation)) continue;
      const c = this.#calibrators[k];
      const r = c.fit ? c.rarityPerDay(Math.abs(deviation), samplesPerDay) : -Infinity;
      if (r > rarity) {
        rarity = r;
        best = k;
      }
    }
    return { rarity, signal: SIGNALS[best], direction: this.#deviations[best] < 0 ? -1 : 1 };
  }

  /** Counts the deviations of the sample last given to `update` in the calibrators. */
  calibrate(): void {
    for (let k = 0; k < SIGNALS.length; k++) {
      const deviation = this.#deviations[k];
      if (!Number.isNaN(deviation)) this.#calibrators[k].push(Math.abs(deviation));
    }
  }

  /** Keeps the largest deviations of a sample that is not learnt (one of an event). */
  hold(): void {
    for (let k = 0; k < SIGNALS.length; k++) {
      const deviation = Math.abs(this.#deviations[k]);
      if (deviation > this.#held[k]) this.#held[k] = deviation;
    }
  }

  /** Counts what was held as one sample (`learn`), or forgets it. */
  release(learn: boolean): void {
    for (let k = 0; learn && k < SIGNALS.length; k++) {
      if (this.#held[k] > 0) this.#calibrators[k].push(this.#held[k]);
    }
    this.#held.fill(0);
  }

  /**
   * Learns from the sample last given to `update`: its time-of-day level, and when `calibrate`,
   * how large its deviations were.
   */
  learn(ts: number, calibrate: boolean): void {
    if (calibrate) this.calibrate();
    this.#profile.learn(ts, this.#now);
  }
}
