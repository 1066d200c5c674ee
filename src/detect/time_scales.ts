/**
 * Every time setting of the streaming detector, derived from the sample interval.
 *
 * Statistics need a number of samples (an average of 3, a tail fitted to hundreds), so the
 * settings are counted in samples; where a physical time matters they are bounded in time:
 * the history spans at least 4 hours (a machine's usual bursts are in it) and at most 14 days;
 * an ongoing anomaly is learnt as the new normal after 200 samples, but never before an hour
 * has passed and always within 3 days.
 * So at 1 s the detector averages over 3 s, remembers ~4.5 h and rests 100 s after an alarm;
 * at 5 min it averages over 15 min, remembers 7 days and rests 8 h 20 min.
 */

/** Rows the detector's history holds (see HistoryWindow); its stride follows from the horizon. */
export const HISTORY_ROWS = 256;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The detector's settings for one sample interval, in samples. */
export interface TimeScales {
  intervalMs: number;
  samplesPerDay: number;
  /** Samples "now" is averaged over (an exponential average). */
  short: number;
  /** Samples of the recent past a change is measured against. */
  mid: number;
  /** Samples the history should span. */
  horizon: number;
  /** Samples per history row once the history spans the horizon (a power of two). */
  maxStride: number;
  /** Samples before the first verdict. */
  warmup: number;
  /** Samples after an alarm during which no new alarm is raised. */
  rest: number;
  /** Calm samples in a row that close an event. */
  calm: number;
  /** Samples of an ongoing anomaly after which it is learnt as the new normal. */
  adapt: number;
}

/** The settings for samples `intervalMs` apart. Throws RangeError for a non-positive interval. */
export function timeScales(intervalMs: number): TimeScales {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new RangeError(`sample interval must be a positive number of ms, got ${intervalMs}`);
  }
  const samples = (ms: number) => ms / intervalMs;
  const within = (n: number, lowMs: number, highMs: number) =>
    Math.max(1, Math.round(Math.min(samples(highMs), Math.max(samples(lowMs), n))));
  const horizon = within(2000, 4 * HOUR_MS, 14 * DAY_MS);
  return {
    intervalMs,
    samplesPerDay: samples(DAY_MS),
    short: 3,
    mid: 30,
    horizon,
    maxStride: 2 ** Math.max(0, Math.round(Math.log2(horizon / HISTORY_ROWS))),
    warmup: 150,
    rest: 100,
    calm: 20,
    adapt: within(200, HOUR_MS, 3 * DAY_MS),
  };
}
