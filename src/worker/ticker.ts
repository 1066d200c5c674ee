/** A drift-free periodic timer: runs on wall-clock multiples of the interval. */

/** The first multiple of `intervalMs` strictly after `now` (epoch ms). */
export function nextBoundary(now: number, intervalMs: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs;
}

/** A running ticker. */
export interface Ticker {
  stop(): void;
}

/**
 * Calls `tick` at every wall-clock boundary of `intervalMs` (…:00.000, :01.000 for 1 s), each
 * time re-armed with setTimeout from the clock, so delays never accumulate as with setInterval.
 * A tick still running at the next boundary makes that boundary skipped, never queued.
 */
export function startTicker(
  intervalMs: number,
  tick: () => Promise<void>,
  now: () => number = Date.now,
): Ticker {
  if (!(intervalMs > 0)) {
    throw new RangeError(`Ticker interval must be positive, got ${intervalMs}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running = false;

  function arm(): void {
    if (stopped) return;
    const at = now();
    timer = setTimeout(fire, nextBoundary(at, intervalMs) - at);
  }

  function fire(): void {
    arm();
    if (running) return;
    running = true;
    tick().finally(() => {
      running = false;
    });
  }

  arm();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
