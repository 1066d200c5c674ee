/** How far a worker's clock may be from the master's before its timestamps are clamped. */
export interface SkewLimits {
  maxFutureMs: number;
  maxPastMs: number;
}

/** Default: 5 minutes ahead, 7 days behind (a worker replaying its spool after an outage). */
export const DEFAULT_SKEW_LIMITS: SkewLimits = {
  maxFutureMs: 5 * 60_000,
  maxPastMs: 7 * 86_400_000,
};

/**
 * Returns the timestamp to store: the worker's own, or `receivedAt` when it lies outside the
 * limits (then `skewed` is true, so the row is flagged).
 */
export function checkTimestamp(
  ts: number,
  receivedAt: number,
  limits: SkewLimits = DEFAULT_SKEW_LIMITS,
): { ts: number; skewed: boolean } {
  if (ts > receivedAt + limits.maxFutureMs || ts < receivedAt - limits.maxPastMs) {
    return { ts: receivedAt, skewed: true };
  }
  return { ts, skewed: false };
}
