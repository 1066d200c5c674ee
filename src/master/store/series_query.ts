/**
 * Per-machine series, downsampled on the server: SQLite selects the rows of the range by primary
 * key, and their value blobs (raw) or aggregate blobs (one row per machine and minute or hour)
 * are folded into the buckets here, plus the machine's open minute from memory. With one blob
 * per machine-minute, a 24 h minute-tier query reads 1,440 rows instead of ~100,000 per-series
 * rows, which a GROUP BY in SQL took ~180 ms to aggregate.
 */
import type { SeriesQuery, SeriesResult } from "./store_types.ts";
import { type Agg, bucketOf, HOUR_MS } from "./rollup.ts";
import {
  type BucketPlan,
  checkRange,
  planBuckets,
  type Tier,
  TIER_RESOLUTION,
  tierFallbacks,
  tierForRange,
} from "./series_plan.ts";
import { aggBuffer, layoutSeriesOf, type MachineState, type StoreContext } from "./store_state.ts";
import { decodeAggs } from "./rollup_codec.ts";
import { decodeValues } from "./value_codec.ts";

/** The series query with an optional forced tier (no fallback then). */
export interface SeriesQueryWithTier extends SeriesQuery {
  tier?: Tier;
}

/** Per-bucket aggregates of one metric. */
interface Column {
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
}

function newColumn(n: number): Column {
  return {
    min: new Float64Array(n).fill(Infinity),
    max: new Float64Array(n).fill(-Infinity),
    sum: new Float64Array(n),
    count: new Float64Array(n),
  };
}

/** Whether `key` passes the `metrics` filter (exact keys or prefixes ending in ':'). */
export function metricFilter(metrics: string[] | undefined): (key: string) => boolean {
  if (metrics === undefined) return () => true;
  const exact = new Set(metrics.filter((m) => !m.endsWith(":")));
  const prefixes = metrics.filter((m) => m.endsWith(":"));
  return (key) => exact.has(key) || prefixes.some((p) => key.startsWith(p));
}

function openMinuteAgg(
  state: MachineState,
  tier: Tier,
): { bucket: number; acc: Map<number, Agg> } | null {
  if (state.openMinute === null || state.acc.size === 0) return null;
  if (tier === "minute") return { bucket: state.openMinute, acc: state.acc };
  if (tier === "hour") return { bucket: bucketOf(state.openMinute, HOUR_MS), acc: state.acc };
  return null;
}

function tierHasData(ctx: StoreContext, state: MachineState, tier: Tier, from: number, to: number) {
  if (tier === "raw") return ctx.st.rawExists.get(state.idx, from, to) !== undefined;
  const res = TIER_RESOLUTION[tier];
  const lo = bucketOf(from, res);
  const open = openMinuteAgg(state, tier);
  if (open && open.bucket >= lo && open.bucket <= to) return true;
  const stmt = tier === "minute" ? ctx.st.minuteExists : ctx.st.hourExists;
  return stmt.get(state.idx, lo, to) !== undefined;
}

function pickTier(
  ctx: StoreContext,
  state: MachineState | undefined,
  query: SeriesQueryWithTier,
): Tier {
  if (query.tier !== undefined) {
    if (!(query.tier in TIER_RESOLUTION)) {
      throw new RangeError(`tier must be raw, minute or hour, got ${String(query.tier)}`);
    }
    return query.tier;
  }
  const chosen = tierForRange(query.to - query.from);
  if (!state) return chosen;
  for (const tier of tierFallbacks(chosen)) {
    if (tierHasData(ctx, state, tier, query.from, query.to)) return tier;
  }
  return chosen;
}

/** Per position of a layout, the column it feeds (null when filtered out). */
function slotsFor(
  ctx: StoreContext,
  series: number[],
  wanted: (key: string) => boolean,
  columns: Map<number, Column>,
  count: number,
): (Column | null)[] {
  return series.map((s) => {
    if (!wanted(ctx.catalog.seriesKeys.get(s)!)) return null;
    let col = columns.get(s);
    if (!col) columns.set(s, col = newColumn(count));
    return col;
  });
}

function collectRaw(
  ctx: StoreContext,
  state: MachineState,
  plan: BucketPlan,
  from: number,
  to: number,
  wanted: (key: string) => boolean,
  columns: Map<number, Column>,
): void {
  const { start, step, count } = plan;
  // all() with array rows reads about twice as fast as iterate() with object rows.
  const rows = ctx.st.rawRangeArrays.all(state.idx, from, to) as unknown as [
    number,
    number,
    Uint8Array,
  ][];
  // Per layout: the column of each position (null when filtered out) and how many leading
  // values to decode (none past the last wanted one).
  const byLayout = new Map<number, { slots: (Column | null)[]; decode: number }>();
  for (const [ts, layout, vals] of rows) {
    let entry = byLayout.get(layout);
    if (!entry) {
      const slots = slotsFor(ctx, layoutSeriesOf(ctx, layout), wanted, columns, count);
      let decode = slots.length;
      while (decode > 0 && slots[decode - 1] === null) decode--;
      byLayout.set(layout, entry = { slots, decode });
    }
    const { slots, decode } = entry;
    if (decode === 0) continue;
    if (ctx.decodeBuf.length < decode) ctx.decodeBuf = new Float64Array(decode * 2);
    const values = ctx.decodeBuf;
    decodeValues(vals, decode, values);
    const bi = Math.floor((ts - start) / step);
    for (let i = 0; i < decode; i++) {
      const col = slots[i];
      if (col === null) continue;
      const v = values[i];
      if (v < col.min[bi]) col.min[bi] = v;
      if (v > col.max[bi]) col.max[bi] = v;
      col.sum[bi] += v;
      col.count[bi]++;
    }
  }
}

function addToColumn(col: Column, bi: number, a: Agg): void {
  if (a.min < col.min[bi]) col.min[bi] = a.min;
  if (a.max > col.max[bi]) col.max[bi] = a.max;
  col.sum[bi] += a.sum;
  col.count[bi] += a.count;
}

function collectRollup(
  ctx: StoreContext,
  state: MachineState,
  tier: "minute" | "hour",
  plan: BucketPlan,
  from: number,
  to: number,
  wanted: (key: string) => boolean,
  columns: Map<number, Column>,
): void {
  const lo = bucketOf(from, TIER_RESOLUTION[tier]);
  const { start, step, count } = plan;
  const slotsByLayout = new Map<number, (Column | null)[]>();
  const stmt = tier === "minute" ? ctx.st.minuteRange : ctx.st.hourRange;
  for (const row of stmt.iterate(state.idx, lo, to)) {
    const { bucket, layout, aggs } = row as { bucket: number; layout: number; aggs: Uint8Array };
    const series = layoutSeriesOf(ctx, layout);
    let slots = slotsByLayout.get(layout);
    if (!slots) {
      slots = slotsFor(ctx, series, wanted, columns, count);
      slotsByLayout.set(layout, slots);
    }
    const buf = aggBuffer(ctx, series.length);
    decodeAggs(aggs, series.length, buf);
    const bi = Math.floor((bucket - start) / step);
    for (let i = 0; i < slots.length; i++) {
      const col = slots[i];
      if (col === null) continue;
      const k = 4 * i;
      if (buf[k + 1] < col.min[bi]) col.min[bi] = buf[k + 1];
      if (buf[k + 2] > col.max[bi]) col.max[bi] = buf[k + 2];
      col.sum[bi] += buf[k + 3];
      col.count[bi] += buf[k];
    }
  }
  const open = openMinuteAgg(state, tier);
  if (open && open.bucket >= lo && open.bucket <= to) {
    const bi = Math.floor((open.bucket - start) / step);
    for (const [s, a] of open.acc) {
      if (!wanted(ctx.catalog.seriesKeys.get(s)!)) continue;
      let col = columns.get(s);
      if (!col) columns.set(s, col = newColumn(count));
      addToColumn(col, bi, a);
    }
  }
}

/** One machine's series over [from, to], downsampled to at most `points` buckets. */
export function querySeries(
  ctx: StoreContext,
  machineId: string,
  query: SeriesQueryWithTier,
): SeriesResult {
  const { from, to, points } = query;
  checkRange(from, to, points);
  if (query.metrics !== undefined && !Array.isArray(query.metrics)) {
    throw new TypeError("metrics must be an array of keys or prefixes");
  }
  const state = ctx.machines.get(machineId);
  const tier = pickTier(ctx, state, query);
  const plan = planBuckets(from, to, points, TIER_RESOLUTION[tier]);
  const wanted = metricFilter(query.metrics);
  const columns = new Map<number, Column>();
  if (state) {
    if (tier === "raw") collectRaw(ctx, state, plan, from, to, wanted, columns);
    else collectRollup(ctx, state, tier, plan, from, to, wanted, columns);
  }
  const result: SeriesResult = {
    machineId,
    from,
    to,
    tier,
    stepMs: plan.step,
    t: Array.from({ length: plan.count }, (_, i) => plan.start + i * plan.step),
    avg: {},
    min: {},
    max: {},
  };
  for (const series of [...columns.keys()].sort((a, b) => a - b)) {
    const col = columns.get(series)!;
    const key = ctx.catalog.seriesKeys.get(series)!;
    const avg: (number | null)[] = new Array(plan.count);
    const min: (number | null)[] = new Array(plan.count);
    const max: (number | null)[] = new Array(plan.count);
    for (let i = 0; i < plan.count; i++) {
      const n = col.count[i];
      avg[i] = n > 0 ? col.sum[i] / n : null;
      min[i] = n > 0 ? col.min[i] : null;
      max[i] = n > 0 ? col.max[i] : null;
    }
    result.avg[key] = avg;
    result.min[key] = min;
    result.max[key] = max;
  }
  return result;
}
