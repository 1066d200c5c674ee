/**
 * Per-address budgets for failures an attacker repeats, such as wrong access-token guesses. Each
 * address has a bucket of `burst` tokens refilled at `perSecond`; every failure takes one, and an
 * address with an empty bucket is refused before its credential is even looked at. Memory is
 * bounded: past `maxAddresses` the least recently seen address is forgotten (an attacker with
 * that many addresses would have a fresh budget on each anyway).
 */

export interface AddressLimiterOptions {
  /** Failures an address may have in a burst. */
  burst: number;
  /** Failures per second it earns back. */
  perSecond: number;
  /** Addresses tracked at most (default 10,000). */
  maxAddresses?: number;
}

export interface AddressLimiter {
  /** Whether `address` may try now (its bucket holds a token). */
  allows(address: string, now: number): boolean;
  /** Counts one failure of `address`. */
  fail(address: string, now: number): void;
  /** Seconds until `address` may try again (0 when it may now). */
  retryAfterS(address: string, now: number): number;
  /** Addresses tracked. */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Creates a limiter; every address starts with a full bucket. */
export function createAddressLimiter(options: AddressLimiterOptions): AddressLimiter {
  const { burst, perSecond } = options;
  if (!(burst >= 1) || !(perSecond > 0)) {
    throw new RangeError("An address limiter needs a burst of 1 or more and a rate above 0");
  }
  const max = options.maxAddresses ?? 10_000;
  const buckets = new Map<string, Bucket>();

  function tokensOf(address: string, now: number): number {
    const b = buckets.get(address);
    if (!b) return burst;
    return Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
  }

  return {
    allows: (address, now) => tokensOf(address, now) >= 1,
    fail(address, now) {
      const tokens = tokensOf(address, now) - 1;
      buckets.delete(address); // re-inserted: the Map's order is the recency order
      if (buckets.size >= max) buckets.delete(buckets.keys().next().value!);
      buckets.set(address, { tokens, at: now });
    },
    retryAfterS(address, now) {
      const missing = 1 - tokensOf(address, now);
      return missing <= 0 ? 0 : Math.ceil(missing / perSecond);
    },
    get size() {
      return buckets.size;
    },
  };
}
