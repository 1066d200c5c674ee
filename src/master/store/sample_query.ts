/** Reads that return samples or points rather than aggregates: recent samples, scatter. */
import type { Sample } from "../../protocol/sample.ts";
import type { ScatterResult } from "./store_types.ts";
import { decodeRow, type MachineState, type StoreContext } from "./store_state.ts";
import { unflattenSample } from "./sample_rebuild.ts";

/** The newest `limit` samples of a machine, oldest first, rebuilt from raw rows. */
export function recentSamples(ctx: StoreContext, machineId: string, limit: number): Sample[] {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
  const state = ctx.machines.get(machineId);
  if (!state || limit === 0) return [];
  const rows = ctx.st.rawRecent.all(state.idx, limit) as {
    ts: number;
    seq: number;
    layout: number;
    vals: Uint8Array;
  }[];
  const out: Sample[] = [];
  for (let r = rows.length - 1; r >= 0; r--) {
    const row = rows[r];
    const series = decodeRow(ctx, row.layout, row.vals);
    const values = new Map<string, number>();
    for (let i = 0; i < series.length; i++) {
      values.set(ctx.catalog.seriesKeys.get(series[i])!, ctx.decodeBuf[i]);
    }
    out.push(unflattenSample({
      ts: row.ts,
      seq: row.seq,
      machineId,
      hostname: state.row.hostname,
    }, values));
  }
  return out;
}

/**
 * CPU % versus memory % points in [from, to]: the newest `limit` of one machine, or of the
 * whole fleet the newest `ceil(limit / machines)` of each machine, sorted by time.
 */
export function queryScatter(
  ctx: StoreContext,
  query: { from: number; to: number; machineId?: string; limit: number },
): ScatterResult {
  const { from, to, limit } = query;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new RangeError(`Scatter range must be finite with from <= to, got ${from}..${to}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new RangeError(`limit must be an integer from 1 to 1000000, got ${limit}`);
  }
  let machines: MachineState[];
  if (query.machineId !== undefined) {
    const one = ctx.machines.get(query.machineId);
    machines = one ? [one] : [];
  } else {
    // The fleet's scatter: removed machines are no longer part of it (asked by id, they are).
    machines = [...ctx.machines.values()].filter((s) => s.row.removedAt === undefined);
  }
  const perMachine = machines.length === 0 ? 0 : Math.ceil(limit / machines.length);
  const cpuSeries = ctx.catalog.seriesByKey.get("cpu.usage");
  const memSeries = ctx.catalog.seriesByKey.get("mem.usedPct");
  const scoreSeries = ctx.catalog.seriesByKey.get("anomaly.score");
  const points: {
    m: number;
    t: number;
    cpu: number;
    mem: number;
    score: number | null;
    a: 0 | 1;
  }[] = [];
  machines.forEach((state, m) => {
    const rows = ctx.st.rawNewest.all(state.idx, from, to, perMachine) as {
      ts: number;
      flags: number;
      layout: number;
      vals: Uint8Array;
    }[];
    for (const row of rows) {
      const series = decodeRow(ctx, row.layout, row.vals);
      let cpu: number | undefined;
      let mem: number | undefined;
      let score: number | null = null;
      for (let i = 0; i < series.length; i++) {
        const s = series[i];
        if (s === cpuSeries) cpu = ctx.decodeBuf[i];
        else if (s === memSeries) mem = ctx.decodeBuf[i];
        else if (s === scoreSeries) score = ctx.decodeBuf[i];
      }
      if (cpu === undefined || mem === undefined) continue;
      points.push({ m, t: row.ts, cpu, mem, score, a: (row.flags & 2) !== 0 ? 1 : 0 });
    }
  });
  points.sort((x, y) => x.t - y.t);
  if (points.length > limit) points.splice(0, points.length - limit);
  return {
    machines: machines.map((s) => s.row.id),
    machine: points.map((p) => p.m),
    t: points.map((p) => p.t),
    cpu: points.map((p) => p.cpu),
    mem: points.map((p) => p.mem),
    score: points.map((p) => p.score),
    anomalous: points.map((p) => p.a),
  };
}
