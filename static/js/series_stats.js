// @ts-check
/**
 * What a chart legend says about each series over the range drawn: the last value, and the
 * minimum, average and maximum (as Grafana's legends do). Gaps (null) are skipped.
 */

/**
 * @typedef {{ last: number | null, min: number | null, avg: number | null, max: number | null }} SeriesStats
 */

/**
 * Statistics of `values` at the times `t` that lie in [from, to] (all times when no range).
 * @param {number[]} t
 * @param {(number | null | undefined)[]} values
 * @param {[number, number]} [range]
 * @returns {SeriesStats}
 */
export function seriesStats(t, values, range) {
  let last = null, min = Infinity, max = -Infinity, sum = 0, n = 0;
  for (let i = 0; i < t.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (range && (t[i] < range[0] || t[i] > range[1])) continue;
    last = v;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  return n ? { last, min, avg: sum / n, max } : { last: null, min: null, avg: null, max: null };
}
