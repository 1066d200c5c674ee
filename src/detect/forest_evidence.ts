/**
 * Multivariate evidence: an Isolation Forest grown on the detector's history window, so a
 * combination of metrics that each look ordinary can still be found unusual. Each feature is
 * coded in quarter sigmas (at least half its floor) around its median (whole numbers, Int16: jitter below a quarter
 * sigma cannot make a still feature look informative, and the trees stay small). The forest's
 * score on a sample goes through its own TailCalibrator, like every univariate signal.
 *
 * Refits are cut into steps (coding the window, then 10 trees at a time) that `step()` runs one
 * per observed sample, and the old forest keeps judging until the new one is complete.
 */
import type { ColumnStats, HistoryWindow } from "./history_window.ts";
import { growForest, type IsolationForest } from "./isolation_forest.ts";
import { TailCalibrator } from "./tail_calibrator.ts";
import { HISTORY_ROWS } from "./time_scales.ts";

/** Trees of the streaming forest and rows per tree (the whole window). */
export const STREAM_TREES = 50;
/** Smallest tail scale of the forest's score (scores live in 0..1). */
const MIN_TAIL_SCALE = 0.01;
const INT16_MAX = 32767;

interface Coding {
  median: Float64Array;
  step: Float64Array;
}

export class ForestEvidence {
  readonly #nF: number;
  readonly #floors: readonly number[];
  readonly #calibrator: TailCalibrator;
  readonly #codes: Int16Array;
  readonly #trees: number;
  #forest: IsolationForest | null = null;
  #coding: Coding | null = null;
  #pending: Generator<void, void, void> | null = null;
  #fits = 0;
  #seed: number;
  #score = 0;
  #held = 0;

  /** `floors`: per feature, its smallest meaningful change (FeatureInfo.floor). */
  constructor(floors: readonly number[], maxStride: number, seed: number, trees = STREAM_TREES) {
    const nFeatures = floors.length;
    this.#floors = floors;
    this.#nF = nFeatures;
    this.#calibrator = new TailCalibrator(HISTORY_ROWS, maxStride, MIN_TAIL_SCALE);
    this.#codes = new Int16Array(nFeatures);
    this.#seed = seed;
    this.#trees = trees;
  }

  get byteLength(): number {
    return this.#calibrator.byteLength + (this.#forest?.byteLength ?? 0);
  }

  get ready(): boolean {
    return this.#forest !== null;
  }

  get stride(): number {
    return this.#calibrator.stride;
  }

  get refitting(): boolean {
    return this.#pending !== null;
  }

  /** Scores `x` (0 before the first forest); kept for `learn`. */
  update(x: ArrayLike<number>): void {
    const forest = this.#forest, coding = this.#coding;
    if (!forest || !coding) {
      this.#score = 0;
      return;
    }
    for (let f = 0; f < this.#nF; f++) this.#codes[f] = code(x[f], coding, f);
    this.#score = forest.scoreRow(this.#codes, 0);
  }

  /** Rarity per day of the score last computed (see TailCalibrator.rarityPerDay). */
  rarityPerDay(samplesPerDay: number): number {
    const c = this.#calibrator;
    return c.fit ? c.rarityPerDay(this.#score, samplesPerDay) : -Infinity;
  }

  learn(): void {
    if (this.#forest) this.#calibrator.push(this.#score);
  }

  /** Keeps the largest score of a sample that is not learnt (one of an event). */
  hold(): void {
    if (this.#score > this.#held) this.#held = this.#score;
  }

  /** Counts the held score as one sample (`learn`), or forgets it. */
  release(learn: boolean): void {
    if (learn && this.#forest && this.#held > 0) this.#calibrator.push(this.#held);
    this.#held = 0;
  }

  refitCalibrator(): void {
    this.#calibrator.refit();
  }

  /** Starts a refit on the window as it is now (a refit in progress is dropped). */
  startRefit(window: HistoryWindow, stats: readonly (ColumnStats | null)[]): void {
    this.#pending = this.#refit(window, stats);
  }

  /** Runs one step of a refit in progress; returns whether one is still in progress. */
  step(): boolean {
    if (!this.#pending) return false;
    if (this.#pending.next().done) this.#pending = null;
    return this.#pending !== null;
  }

  /** Runs a refit in progress to its end. */
  finish(): void {
    while (this.step()) { /* runs the remaining steps */ }
  }

  *#refit(window: HistoryWindow, stats: readonly (ColumnStats | null)[]) {
    const nF = this.#nF, n = window.size;
    if (n < 2) return;
    const coding: Coding = { median: new Float64Array(nF), step: new Float64Array(nF) };
    for (let f = 0; f < nF; f++) {
      coding.median[f] = stats[f]?.median ?? 0;
      // A quarter sigma, but never under half the feature's floor: changes smaller than what is
      // worth calling unusual must not isolate a row.
      coding.step[f] = Math.max((stats[f]?.sigma ?? 1) / 4, this.#floors[f] / 2);
    }
    const data = new Int16Array(n * nF);
    for (let i = 0; i < n * nF; i++) data[i] = code(window.rows[i], coding, i % nF);
    yield;
    const growing = growForest(data, n, nF, {
      trees: this.#trees,
      sampleSize: n,
      seed: this.#seed + this.#fits++,
    }, 2);
    for (;;) {
      const next = growing.next();
      if (next.done) {
        this.#forest = next.value;
        this.#coding = coding;
        return;
      }
      yield;
    }
  }
}

function code(value: number, coding: Coding, f: number): number {
  const c = Math.round((value - coding.median[f]) / coding.step[f]);
  return c > INT16_MAX ? INT16_MAX : c < -INT16_MAX ? -INT16_MAX : c;
}
