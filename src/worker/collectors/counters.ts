/** Counter arithmetic for rates: wraps, resets and elapsed time. */

const TWO_32 = 2 ** 32;
const TWO_64 = 2 ** 64;

/**
 * How much a monotonically increasing kernel counter grew from `previous` to `current`.
 *
 * A counter that went down either wrapped (32-bit or 64-bit) or was reset (device re-created,
 * driver reloaded). A wrap is assumed only when the wrapped distance is less than half the
 * counter's range; anything else is a reset, for which the growth is unknown: `null`.
 * Never negative.
 */
export function counterDelta(previous: number, current: number): number | null {
  if (!Number.isFinite(previous) || !Number.isFinite(current)) return null;
  if (current >= previous) return current - previous;
  if (previous < TWO_32) {
    const wrapped = TWO_32 - previous + current;
    return wrapped < TWO_32 / 2 ? wrapped : null;
  }
  const wrapped = TWO_64 - previous + current;
  return wrapped < TWO_64 / 2 ? wrapped : null;
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
