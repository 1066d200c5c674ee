/** A token bucket: `capacity` tokens, refilled at `ratePerSecond`; each event takes one. */
export interface TokenBucket {
  /** Takes one token; false when the bucket is empty (the event is over the rate). */
  take(now: number): boolean;
}

/** Creates a full bucket. */
export function createTokenBucket(capacity: number, ratePerSecond: number): TokenBucket {
  if (!(capacity > 0) || !(ratePerSecond > 0)) {
    throw new RangeError("A token bucket needs a capacity and a rate above 0");
  }
  let tokens = capacity;
  let last: number | undefined;
  return {
    take(now: number): boolean {
      if (last !== undefined) {
        tokens = Math.min(capacity, tokens + ((now - last) / 1000) * ratePerSecond);
      }
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
