/**
 * A rollup row's aggregates: for each series of its layout, in order, count, min, max and sum,
 * encoded without loss (min and max are stored raw values, so they fit float32 or integers;
 * sums take float64 when they must).
 */
import type { Agg } from "./rollup.ts";
import { decodeValues, type ValueWriter } from "./value_codec.ts";

/** The series of `acc` in ascending order (the canonical layout of a rollup row). */
export function aggSeries(acc: Map<number, Agg>): number[] {
  return [...acc.keys()].sort((a, b) => a - b);
}

/** Encodes the aggregates of `series` (all present in `acc`). */
export function encodeAggs(w: ValueWriter, series: readonly number[], acc: Map<number, Agg>) {
  w.reset();
  for (const s of series) {
    const a = acc.get(s)!;
    w.pushExact(a.count);
    w.pushExact(a.min);
    w.pushExact(a.max);
    w.pushExact(a.sum);
  }
  return w.bytes();
}

/** Decodes `count` series' aggregates into `out` (4 numbers each: count, min, max, sum). */
export function decodeAggs(blob: Uint8Array, count: number, out: Float64Array): void {
  decodeValues(blob, count * 4, out);
}
