/** Counter arithmetic for rates: wraps, resets and elapsed time. */

const TWO_32 = 2 ** 32;
const TWO_64 = 2 ** 64;

/**
 * How much a monotonically increasing kernel counter grew from `previous` to `current`.
 *
 * A counter that went down either wrapped or was reset (device re-created, driver reloaded).
 * Taking a reset for a wrap would invent a burst, so a wrap is assumed only when the counter
 * was in the top quarter of its range (32-bit, or 64-bit above 2^32) and is now in the bottom
 * quarter; anything else is a reset, whose growth is unknown: `null`. Never negative.
 */
export function counterDelta(previous: number, current: number): number | null {
  if (!Number.isFinite(previous) || !Number.isFinite(current)) return null;
  if (current >= previous) return current - previous;
  const range = previous < TWO_32 ? TWO_32 : TWO_64;
  if (previous >= range * 0.75 && current < range * 0.25) return range - previous + current;
  return null;
}

/** Per-second rate of a counter over `elapsedMs`; `null` when unknown (reset, no time passed). */
export function counterRate(previous: number, current: number, elapsedMs: number): number | null {
  if (!(elapsedMs > 0)) return null;
  const delta = counterDelta(previous, current);
  return delta === null ? null : (delta * 1000) / elapsedMs;
}

/** Parses a decimal counter field; throws a RangeError naming `where` when it is not one. */
export function parseCounter(text: string, where: string): number {
  if (!/^\d+$/.test(text)) {
    throw new RangeError(`Cannot parse ${where}: "${text}" is not a counter`);
  }
  return Number(text);
}
