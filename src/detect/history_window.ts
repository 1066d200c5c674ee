/**
 * The detector's memory of normal: a ring of `rows` feature vectors, one per `stride` samples.
 * The stride starts at 1 and doubles (dropping every other row, oldest first) whenever the
 * ring is full, up to `maxStride`, so the window fills quickly after a start and then spans
 * rows × maxStride samples, the detector's horizon. Rows are Float32: 1 KB per feature at
 * 256 rows. Per feature, robust statistics (median, quartiles, 5th/95th percentiles) are read
 * from a sorted copy of its column, one feature at a time, so no single call sorts them all.
 * The Isolation Forest is grown on the same rows.
 */
import { quantileSorted } from "./quantile.ts";

/** Robust summary of one feature's column. */
export interface ColumnStats {
  median: number;
  /** Robust spread, in the feature's units: never 0 (see `robustSpread`). */
  sigma: number;
  /** 5th and 95th percentiles. */
  low: number;
  high: number;
}

export class HistoryWindow {
  readonly nFeatures: number;
  readonly rows: Float32Array;
  readonly #capacity: number;
  readonly #maxStride: number;
  #head = 0;
  #size = 0;
  #stride = 1;
  #pending = 0;

  constructor(capacity: number, nFeatures: number, maxStride: number) {
    if (!Number.isInteger(capacity) || capacity < 4 || capacity % 2 !== 0) {
      throw new RangeError("HistoryWindow: capacity must be an even number >= 4");
    }
    if (!Number.isInteger(Math.log2(maxStride))) {
      throw new RangeError(`HistoryWindow: maxStride must be a power of two, got ${maxStride}`);
    }
    this.nFeatures = nFeatures;
    this.rows = new Float32Array(capacity * nFeatures);
    this.#capacity = capacity;
    this.#maxStride = maxStride;
  }

  get size(): number {
    return this.#size;
  }

  get stride(): number {
    return this.#stride;
  }

  get byteLength(): number {
    return this.rows.byteLength;
  }

  /** Offers one sample's vector; every `stride`-th enters. Returns whether it did. */
  offer(x: ArrayLike<number>): boolean {
    if (++this.#pending < this.#stride) return false;
    this.#pending = 0;
    if (this.#size === this.#capacity && this.#stride < this.#maxStride) this.#thin();
    this.rows.set(x as ArrayLike<number>, this.#head * this.nFeatures);
    this.#head = (this.#head + 1) % this.#capacity;
    if (this.#size < this.#capacity) this.#size++;
    return true;
  }

  /** Sorted values of feature `f` over the rows held. */
  sortedColumn(f: number): Float32Array {
    const n = this.#size, nF = this.nFeatures, column = new Float32Array(n);
    for (let r = 0; r < n; r++) column[r] = this.rows[r * nF + f];
    return column.sort();
  }

  /** Keeps every other row, oldest first, and doubles the stride. */
  #thin(): void {
    const nF = this.nFeatures, n = this.#capacity;
    const ordered = new Float32Array(this.rows.length);
    for (let i = 0; i < n; i++) {
      const from = ((this.#head + i) % n) * nF;
      ordered.set(this.rows.subarray(from, from + nF), i * nF);
    }
    this.rows.fill(0);
    for (let i = 0; i < n / 2; i++) {
      this.rows.set(ordered.subarray(2 * i * nF, (2 * i + 1) * nF), i * nF);
    }
    this.#size = n / 2;
    this.#head = n / 2;
    this.#stride *= 2;
  }
}

/**
 * The robust spread of a sorted column: the interquartile range as a normal sigma, but at
 * least a twentieth of the 5-95 % span (a column mostly at one value still has a spread), at
 * least `floor` (the feature's smallest meaningful change), and at least a millionth of the
 * median's size: never 0, so no deviation is infinitely large.
 */
const MEAN_DEVIATION_SHARE = 4;
export function columnStats(sorted: ArrayLike<number>, floor: number): ColumnStats {
  const median = quantileSorted(sorted, 0.5);
  const low = quantileSorted(sorted, 0.05), high = quantileSorted(sorted, 0.95);
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  let absolute = 0;
  for (let i = 0; i < sorted.length; i++) absolute += Math.abs(sorted[i] - median);
  const sigma = Math.max(
    iqr / 1.349,
    (high - low) / 20,
    absolute / sorted.length / MEAN_DEVIATION_SHARE,
    floor,
    1e-6 * Math.max(1, Math.abs(median)),
  );
  return { median, sigma, low, high };
}
