/** Jittered, capped exponential backoff for reconnecting. */

export interface BackoffOptions {
  /** First delay (before jitter), in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Random source in [0, 1), a seam for tests (default Math.random). */
  random?: () => number;
}

/** A reconnect schedule: `next()` gives the delay before the next attempt, `reset()` after a success. */
export interface Backoff {
  next(): number;
  reset(): void;
  /** Failed attempts since the last reset. */
  readonly attempts: number;
}

/**
 * "Equal jitter": each delay lies in [base/2, base], where base doubles per attempt up to
 * `maxMs`. Half of it stays random so a fleet that lost its master does not reconnect in step,
 * while the delay still grows reliably.
 */
export function createBackoff(options: BackoffOptions): Backoff {
  const { initialMs, maxMs } = options;
  const factor = options.factor ?? 2;
  const random = options.random ?? Math.random;
  if (!(initialMs > 0) || !(maxMs >= initialMs)) {
    throw new RangeError(`Backoff needs 0 < initialMs <= maxMs, got ${initialMs} and ${maxMs}`);
  }
  if (!(factor >= 1)) throw new RangeError(`Backoff factor must be at least 1, got ${factor}`);
  let attempts = 0;
  return {
    next() {
      const base = Math.min(maxMs, initialMs * factor ** attempts);
      attempts++;
      return Math.round(base / 2 + (base / 2) * random());
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
