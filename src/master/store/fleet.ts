/** Fleet-wide per-minute aggregates: what each machine's minute adds, and the fleet query. */
import type { FleetSeriesResult, SeriesQuery } from "./store_types.ts";
import type { Agg } from "./rollup.ts";
import { type Catalog, SeriesKind, type StoreContext } from "./store_state.ts";
import { MINUTE_MAX_RANGE_MS, planBuckets } from "./series_plan.ts";
import { HOUR_MS, MINUTE_MS } from "./rollup.ts";

/** One machine-minute's share of the fleet row of that minute. */
export interface FleetContribution {
  cpuSum: number;
  cpuCount: number;
  cpuMax: number | null;
  memSum: number;
  memCount: number;
  memMax: number | null;
  /** Sums over the machine's devices of their minute averages. */
  netRx: number;
  netTx: number;
  diskRead: number;
  diskWrite: number;
}

/** A fleet contribution with nothing in it. */
export function emptyContribution(): FleetContribution {
  return {
    cpuSum: 0,
    cpuCount: 0,
    cpuMax: null,
    memSum: 0,
    memCount: 0,
    memMax: null,
    netRx: 0,
    netTx: 0,
    diskRead: 0,
    diskWrite: 0,
  };
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** What one machine's minute aggregates add to the fleet. */
export function fleetContribution(catalog: Catalog, acc: Map<number, Agg>): FleetContribution {
  const c = emptyContribution();
  for (const [series, a] of acc) {
    switch (catalog.seriesKind.get(series)) {
      case SeriesKind.Cpu:
        c.cpuSum += a.sum;
        c.cpuCount += a.count;
        c.cpuMax = maxOf(c.cpuMax, a.max);
        break;
      case SeriesKind.Mem:
        c.memSum += a.sum;
        c.memCount += a.count;
        c.memMax = maxOf(c.memMax, a.max);
        break;
      case SeriesKind.NetRx:
        c.netRx += a.sum / a.count;
        break;
      case SeriesKind.NetTx:
        c.netTx += a.sum / a.count;
        break;
      case SeriesKind.DiskRead:
        c.diskRead += a.sum / a.count;
        break;
      case SeriesKind.DiskWrite:
        c.diskWrite += a.sum / a.count;
        break;
    }
  }
  return c;
}

/** Adds `b` into `a`. */
export function mergeContribution(a: FleetContribution, b: FleetContribution): void {
  a.cpuSum += b.cpuSum;
  a.cpuCount += b.cpuCount;
  a.cpuMax = maxOf(a.cpuMax, b.cpuMax);
  a.memSum += b.memSum;
  a.memCount += b.memCount;
  a.memMax = maxOf(a.memMax, b.memMax);
  a.netRx += b.netRx;
  a.netTx += b.netTx;
  a.diskRead += b.diskRead;
  a.diskWrite += b.diskWrite;
}

interface FleetRow {
  cpu_sum: number;
  cpu_count: number;
  cpu_max: number | null;
  mem_sum: number;
  mem_count: number;
  mem_max: number | null;
  net_rx: number;
  net_tx: number;
  disk_read: number;
  disk_write: number;
}

function contributionOf(r: FleetRow): FleetContribution {
  return {
    cpuSum: r.cpu_sum,
    cpuCount: r.cpu_count,
    cpuMax: r.cpu_max,
    memSum: r.mem_sum,
    memCount: r.mem_count,
    memMax: r.mem_max,
    netRx: r.net_rx,
    netTx: r.net_tx,
    diskRead: r.disk_read,
    diskWrite: r.disk_write,
  };
}

/**
 * Fleet aggregates per bucket from the per-minute fleet rows plus the machines' open minutes:
 * CPU and memory average over all samples and maximum, network and disk totals as the average
 * over the bucket's minutes of the sum over machines. Tier "minute" up to 30 days, "hour"
 * (hour-wide buckets or wider) beyond.
 */
export function queryFleet(
  ctx: StoreContext,
  query: Omit<SeriesQuery, "metrics">,
): FleetSeriesResult {
  const { from, to, points } = query;
  const tier = to - from <= MINUTE_MAX_RANGE_MS ? "minute" : "hour";
  const plan = planBuckets(from, to, points, tier === "minute" ? MINUTE_MS : HOUR_MS);
  const lo = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  const n = plan.count;
  const buckets: (FleetContribution & { minutes: number })[] = [];
  const add = (bi: number, c: FleetContribution, minutes: number) => {
    if (bi < 0 || bi >= n) return;
    const b = buckets[bi] ??= { ...emptyContribution(), minutes: 0 };
    mergeContribution(b, c);
    b.minutes += minutes;
  };
  // Minutes some machine still has open: their stored row (if any) plus the open aggregates.
  const open = new Map<number, FleetContribution>();
  for (const state of ctx.machines.values()) {
    const m = state.openMinute;
    if (m === null || m < lo || m > to) continue;
    let c = open.get(m);
    if (!c) open.set(m, c = emptyContribution());
    mergeContribution(c, fleetContribution(ctx.catalog, state.acc));
  }
  for (const [minute, c] of open) {
    const row = ctx.st.fleetAt.get(minute) as FleetRow | undefined;
    if (row) mergeContribution(c, contributionOf(row));
    add(Math.floor((minute - plan.start) / plan.step), c, 1);
  }
  // Every other minute, grouped into buckets by SQLite.
  const grouped = ctx.st.fleetGrouped.all(
    plan.start,
    plan.step,
    lo,
    to,
    JSON.stringify([...open.keys()]),
  ) as unknown as (FleetRow & { bi: number; minutes: number })[];
  for (const r of grouped) add(r.bi, contributionOf(r), r.minutes);
  const result: FleetSeriesResult = {
    from,
    to,
    tier,
    stepMs: plan.step,
    t: [],
    cpuAvg: [],
    cpuMax: [],
    memAvg: [],
    memMax: [],
    netRxBps: [],
    netTxBps: [],
    diskReadBps: [],
    diskWriteBps: [],
  };
  for (let i = 0; i < n; i++) {
    const b = buckets[i];
    result.t.push(plan.start + i * plan.step);
    result.cpuAvg.push(b && b.cpuCount > 0 ? b.cpuSum / b.cpuCount : null);
    result.cpuMax.push(b ? b.cpuMax : null);
    result.memAvg.push(b && b.memCount > 0 ? b.memSum / b.memCount : null);
    result.memMax.push(b ? b.memMax : null);
    result.netRxBps.push(b ? b.netRx / b.minutes : null);
    result.netTxBps.push(b ? b.netTx / b.minutes : null);
    result.diskReadBps.push(b ? b.diskRead / b.minutes : null);
    result.diskWriteBps.push(b ? b.diskWrite / b.minutes : null);
  }
  return result;
}
