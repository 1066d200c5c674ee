/** Min/max/sum/count aggregates: what a rollup row holds, mergeable exactly. */

/** One aggregate. `avg` is `sum / count`. */
export interface Agg {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** Adds one value to the aggregate of `key` in `acc`. */
export function addValue(acc: Map<number, Agg>, key: number, v: number): void {
  const a = acc.get(key);
  if (a === undefined) {
    acc.set(key, { min: v, max: v, sum: v, count: 1 });
    return;
  }
  if (v < a.min) a.min = v;
  if (v > a.max) a.max = v;
  a.sum += v;
  a.count++;
}

/** Merges `b` into `acc` under `key`. */
export function addAgg(acc: Map<number, Agg>, key: number, b: Agg): void {
  const a = acc.get(key);
  if (a === undefined) {
    acc.set(key, { ...b });
    return;
  }
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
  a.sum += b.sum;
  a.count += b.count;
}

/** Start of the bucket of width `width` holding `t`. */
export function bucketOf(t: number, width: number): number {
  return Math.floor(t / width) * width;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
