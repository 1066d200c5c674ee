/** Which tier answers a time range, and how the range splits into buckets. */
import { HOUR_MS, MINUTE_MS } from "./rollup.ts";

export type Tier = "raw" | "minute" | "hour";

/** Finest bucket width per tier. Raw buckets are whole seconds. */
export const TIER_RESOLUTION: Readonly<Record<Tier, number>> = {
  raw: 1000,
  minute: MINUTE_MS,
  hour: HOUR_MS,
};

/** Ranges up to this long read raw rows. */
export const RAW_MAX_RANGE_MS = 6 * HOUR_MS;
/** Ranges up to this long (and over RAW_MAX_RANGE_MS) read minute rollups; longer ones hours. */
export const MINUTE_MAX_RANGE_MS = 30 * 24 * HOUR_MS;

export const MAX_POINTS = 10_000;

/** The tier for a range of `span` ms: raw up to 6 h, minute up to 30 d, hour beyond. */
export function tierForRange(span: number): Tier {
  if (span <= RAW_MAX_RANGE_MS) return "raw";
  if (span <= MINUTE_MAX_RANGE_MS) return "minute";
  return "hour";
}

/** `tier` first, then the finer tiers (finest last), then the coarser ones. */
export function tierFallbacks(tier: Tier): Tier[] {
  if (tier === "raw") return ["raw", "minute", "hour"];
  if (tier === "minute") return ["minute", "raw", "hour"];
  return ["hour", "minute", "raw"];
}

/** Buckets `start + i * step` for i in 0..count-1, covering [from, to]. */
export interface BucketPlan {
  start: number;
  step: number;
  count: number;
}

/** Checks a range and a point count; throws a RangeError with a clear message. */
export function checkRange(from: number, to: number, points: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new RangeError(`Range must be finite numbers of ms, got from=${from} to=${to}`);
  }
  if (from > to) throw new RangeError(`Range is reversed: from ${from} is after to ${to}`);
  if (!Number.isInteger(points) || points < 1 || points > MAX_POINTS) {
    throw new RangeError(`points must be an integer from 1 to ${MAX_POINTS}, got ${points}`);
  }
}

/**
 * Splits [from, to] (both inclusive) into at most `points` buckets aligned to multiples of
 * their width, which is a multiple of `resolution`.
 */
export function planBuckets(
  from: number,
  to: number,
  points: number,
  resolution: number,
): BucketPlan {
  checkRange(from, to, points);
  const want = Math.ceil((to - from + 1) / points);
  let step = Math.max(resolution, Math.ceil(want / resolution) * resolution);
  for (;;) {
    const first = Math.floor(from / step);
    const count = Math.floor(to / step) - first + 1;
    if (count <= points) return { start: first * step, step, count };
    step += resolution;
  }
}
