/**
 * A metric's usual level at each time of day: 48 half-hour bins (UTC), each an exponential
 * average over about the last three days of that half hour, so "normal for 3 pm" can differ
 * from "normal for 3 am". On its first day a bin holds the level of that half hour so far (a
 * reference for the last minutes, not yet for the time of day); it says nothing before it has
 * seen half a bin's worth of samples (and at least 2).
 */
import { DAY_MS } from "./time_scales.ts";

export const PROFILE_BINS = 48;
/** Days each bin averages over. */
const PROFILE_DAYS = 3;

export class DailyProfile {
  readonly #level = new Float32Array(PROFILE_BINS);
  readonly #count = new Uint16Array(PROFILE_BINS);
  /** Samples that fall in one bin per day. */
  readonly #perBin: number;

  constructor(intervalMs: number) {
    this.#perBin = DAY_MS / PROFILE_BINS / intervalMs;
  }

  get byteLength(): number {
    return this.#level.byteLength + this.#count.byteLength;
  }

  /** The usual level at time `ts` (ms), or NaN while that bin knows too little. */
  expected(ts: number): number {
    const bin = binOf(ts);
    return this.#count[bin] >= Math.max(2, this.#perBin / 2) ? this.#level[bin] : NaN;
  }

  /** Learns that the metric stood at `value` at time `ts`. */
  learn(ts: number, value: number): void {
    const bin = binOf(ts), n = this.#count[bin];
    const weight = 1 / Math.min(n + 1, Math.max(2, this.#perBin * PROFILE_DAYS));
    this.#level[bin] = n === 0 ? value : this.#level[bin] + weight * (value - this.#level[bin]);
    if (n < 65535) this.#count[bin] = n + 1;
  }
}

function binOf(ts: number): number {
  const ofDay = ((ts % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.min(PROFILE_BINS - 1, Math.floor((ofDay / DAY_MS) * PROFILE_BINS));
}
