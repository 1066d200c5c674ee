/**
 * How rare is a value of a non-negative statistic, judged by that statistic's own past?
 *
 * The calibrator keeps the maximum of each block of `stride` samples (block maxima, so a spike
 * that lasts one sample still counts) in a ring of `capacity` blocks, one byte each on a log
 * scale. Blocks start one sample long; whenever the ring is full and the stride is below
 * `maxStride`, neighbouring blocks are merged and the stride doubles, so the ring covers ever
 * more time up to capacity × maxStride samples, the detector's horizon.
 *
 * The tail above the 95th percentile of the block maxima is fitted as exponential, with the
 * mean excess over that percentile as its scale (peaks over threshold, Pickands / Balkema-de
 * Haan with shape 0). A value beyond anything seen still gets a probability, and one only a
 * little beyond the usual maxima does not look extraordinary. `rarity(s)` is -log10 of the
 * chance that a block's maximum reaches s.
 */

/** Block maxima above this quantile form the tail. */
export const TAIL_QUANTILE = 0.95;
/** Fewest blocks before the calibrator judges anything. */
export const MIN_BLOCKS = 20;
/** Codes per doubling of 1 + value: 16 gives ~4 % steps, up to a value of ~65,000. */
const CODES_PER_OCTAVE = 16;
const MAX_CODE = 255;

function encode(value: number): number {
  return Math.min(MAX_CODE, Math.round(CODES_PER_OCTAVE * Math.log2(1 + Math.max(0, value))));
}

function decode(code: number): number {
  return 2 ** (code / CODES_PER_OCTAVE) - 1;
}

/** A fitted tail: values above `threshold` have block-exceedance 0.05 × e^(-(s - threshold)/scale). */
export interface TailFit {
  threshold: number;
  scale: number;
  /** The largest block maximum held, and how many blocks. */
  max: number;
  blocks: number;
}

export class TailCalibrator {
  readonly #ring: Uint8Array;
  readonly #maxStride: number;
  readonly #minScale: number;
  #head = 0;
  #size = 0;
  #stride = 1; //TMP
  #inBlock = 0;
  #blockMax = 0;
  #fit: TailFit | null = null;

  /**
   * `capacity` blocks; the stride grows up to `maxStride` (a power of two); `minScale` is the
   * smallest tail scale, in the statistic's units (so a statistic that never moved does not
   * make the smallest movement infinitely rare).
   */
  constructor(capacity: number, maxStride: number, minScale: number) {
    if (!Number.isInteger(capacity) || capacity < MIN_BLOCKS || capacity % 2 !== 0) {
      throw new RangeError(`TailCalibrator: capacity must be an even number >= ${MIN_BLOCKS}`);
    }
    if (!Number.isInteger(Math.log2(maxStride))) {
      throw new RangeError(`TailCalibrator: maxStride must be a power of two, got ${maxStride}`);
    }
    if (!(minScale > 0)) throw new RangeError("TailCalibrator: minScale must be > 0");
    this.#ring = new Uint8Array(capacity);
    this.#maxStride = maxStride;
    this.#minScale = minScale;
  }

  /** Samples per block now. */
  get stride(): number {
    return this.#stride;
  }

  /** Whole blocks held. */
  get blocks(): number {
    return this.#size;
  }

  get byteLength(): number {
    return this.#ring.byteLength;
  }

  /** The current fit, or null before `MIN_BLOCKS` blocks. */
  get fit(): TailFit | null {
    return this.#fit;
  }

  /** Adds one sample's statistic. */
  push(value: number): void {
    if (value > this.#blockMax) this.#blockMax = value;
    if (++this.#inBlock < this.#stride) return;
    const ring = this.#ring;
    if (this.#size === ring.length && this.#stride < this.#maxStride) this.#merge();
    ring[this.#head] = encode(this.#blockMax);
    this.#head = (this.#head + 1) % ring.length;
    if (this.#size < ring.length) this.#size++;
    this.#inBlock = 0;
    this.#blockMax = 0;
  }

  /** Refits the tail from the blocks held (a counting pass over 256 codes: cheap). */
  refit(minScale = this.#minScale): void {
    const n = this.#size;
    if (n < MIN_BLOCKS) {
      this.#fit = null;
      return;
    }
    const counts = new Uint16Array(MAX_CODE + 1);
    for (let i = 0; i < n; i++) counts[this.#ring[i]]++;
    // The code at rank floor(q (n - 1)): the tail threshold.
    const rank = Math.floor(TAIL_QUANTILE * (n - 1));
    let seen = 0, code = 0;
    for (; code <= MAX_CODE; code++) {
      seen += counts[code];
      if (seen > rank) break;
    }
    const threshold = decode(code);
    let excess = 0, above = 0, top = code;
    for (let c = code + 1; c <= MAX_CODE; c++) {
      if (counts[c] === 0) continue;
      excess += counts[c] * (decode(c) - threshold);
      above += counts[c];
      top = c;
    }
    this.#fit = {
      threshold,
      max: decode(top),
      blocks: n,
      scale: Math.max(minScale, above > 0 ? excess / above : 0),
    };
  }

  /**
   * -log10 of the chance that a block's maximum reaches `value` (0 before the first fit).
   * Below the tail threshold it rises linearly from 0 to the threshold's own rarity.
   */
  /**
   * -log10 of the expected number of blocks a day whose maximum reaches `value`, at
   * `samplesPerDay`: the block rarity less log10 of the blocks in a day. Comparable across
   * strides and sampling rates.
   */
  rarityPerDay(value: number, samplesPerDay: number): number {
    return this.rarity(value) - Math.log10(samplesPerDay / this.#stride);
  }

  rarity(value: number): number {
    const fit = this.#fit;
    if (!fit || !(value > 0)) return 0;
    const atThreshold = -Math.log10(1 - TAIL_QUANTILE);
    if (value <= fit.threshold) return atThreshold * (value / Math.max(fit.threshold, 1e-12));
    return atThreshold + (value - fit.threshold) / (fit.scale * Math.LN10);
  }

  /** Merges neighbouring blocks (oldest first) into half as many, doubling the stride. */
  #merge(): void {
    const ring = this.#ring, n = ring.length;
    const ordered = new Uint8Array(n);
    for (let i = 0; i < n; i++) ordered[i] = ring[(this.#head + i) % n];
    ring.fill(0);
    for (let i = 0; i < n / 2; i++) ring[i] = Math.max(ordered[2 * i], ordered[2 * i + 1]);
    this.#size = n / 2;
    this.#head = n / 2;
    this.#stride *= 2;
  }
}
