/** The q-quantile (0..1) of sorted values, by linear interpolation between closest ranks. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantileSorted: no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantileSorted: q must be in 0..1, got ${q}`);
  const position = q * (n - 1);
  const below = Math.floor(position);
  const above = Math.min(n - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}
