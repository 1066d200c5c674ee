/**
 * The master's own event-loop lag: a timer due every `everyMs` notes how late it ran. A late
 * timer means requests, acks and the local worker waited that long too. /healthz reports the
 * p99 and max of the last minute.
 */

export interface EventLoopLag {
  /** p99 and max lag in ms over the window (0 when nothing was measured yet). */
  summary(): { p99: number; max: number };
  stop(): void;
}

/** Starts measuring; keeps the last `windowMs` of measurements. */
export function startEventLoopLag(everyMs = 100, windowMs = 60_000): EventLoopLag {
  const size = Math.max(1, Math.round(windowMs / everyMs));
  const lags = new Float64Array(size);
  let count = 0;
  let next = 0;
  let due = performance.now() + everyMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lags[next] = Math.max(0, now - due);
    next = (next + 1) % size;
    count = Math.min(size, count + 1);
    due = now + everyMs;
  }, everyMs);
  // Never keeps a process alive on its own (Deno: unrefTimer).
  Deno.unrefTimer(timer);
  return {
    summary() {
      if (count === 0) return { p99: 0, max: 0 };
      const sorted = lags.slice(0, count).sort();
      const p99 = sorted[Math.min(count - 1, Math.floor(0.99 * count))];
      return { p99: Math.round(p99 * 10) / 10, max: Math.round(sorted[count - 1] * 10) / 10 };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
