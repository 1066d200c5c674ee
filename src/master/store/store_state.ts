/**
 * The store's in-memory state: machines with their latest sample and open minute aggregates,
 * and the catalogue of series keys and layouts. Everything here can be rebuilt from the
 * database (`loadState`), which is how the store recovers after a crash or a failed write.
 */
import type { DatabaseSync } from "node:sqlite";
import { parseDeviceKey } from "../../protocol/metrics.ts";
import type { Sample } from "../../protocol/sample.ts";
import type { Retention } from "./store_types.ts";
import { type Statements, textOf, textOrNull } from "./store_db.ts";
import type { MachineRow, Verdict } from "./store_types.ts";
import { addValue, type Agg, MINUTE_MS } from "./rollup.ts";
import { decodeValues, type ValueWriter } from "./value_codec.ts";
import { unflattenSample } from "./sample_rebuild.ts";
import type { Walk } from "./sample_values.ts";
import type { ProcessTables } from "./process_store.ts";

/** What the fleet aggregates need to know about a series. */
export const SeriesKind = {
  Other: 0,
  Cpu: 1,
  Mem: 2,
  NetRx: 3,
  NetTx: 4,
  DiskRead: 5,
  DiskWrite: 6,
} as const;
export type SeriesKind = typeof SeriesKind[keyof typeof SeriesKind];

export interface MachineState {
  idx: number;
  row: MachineRow;
  latest: { sample: Sample; verdict: Verdict | null } | null;
  latestTs: number;
  /** When (master clock) the latest sample was last saved as JSON. */
  latestSavedAt: number;
  /** Start of the minute whose aggregates are still in `acc` (not yet in the rollup tables). */
  openMinute: number | null;
  /** Minutes before this one (and before `openMinute`) are closed: late rows merge into the DB. */
  minuteFloor: number;
  acc: Map<number, Agg>;
  /** The last-seen time in the database. */
  lastSeenSaved: number;
  /** When the store last received a row of this machine (master clock). */
  lastReceived: number;
  /** The layout of the newest row written (see `valuesOf` in ingest.ts). */
  current: ShapeLayout | null;
  /** The last few shapes whose walk agreed with flattenSample, newest first. */
  shapes: ShapeLayout[];
  dirty: boolean;
}

/**
 * A sample shape of one machine (device names, which values are present; see sample_values.ts)
 * and the layout its values are stored in. A machine can alternate between a few (an anomaly
 * score present or not), so several are kept.
 */
export interface ShapeLayout {
  shape: (number | string)[];
  layout: number;
  series: number[];
  /** `slotsOf`'s entries in the order of `series`, valid while `slotsOf` is the open minute's. */
  slots: Agg[] | null;
  slotsOf: Map<number, Agg> | null;
}

export interface Catalog {
  seriesByKey: Map<string, number>;
  seriesKeys: Map<number, string>;
  seriesKind: Map<number, SeriesKind>;
  layoutBySig: Map<string, number>;
  layoutSeries: Map<number, number[]>;
}

/** Everything the store functions share. */
export interface StoreContext {
  db: DatabaseSync;
  st: Statements;
  retention: Retention;
  now: () => number;
  machines: Map<string, MachineState>;
  byIdx: Map<number, MachineState>;
  catalog: Catalog;
  writer: ValueWriter;
  decodeBuf: Float64Array;
  walk: Walk;
  aggBuf: Float64Array;
  lastSweep: number;
  retentionCursor: number;
  retentionMaxRows: number;
  /** The process tables (process_store.ts). */
  processes: ProcessTables;
}

function kindOf(key: string): SeriesKind {
  if (key === "cpu.usage") return SeriesKind.Cpu;
  if (key === "mem.usedPct") return SeriesKind.Mem;
  const dev = parseDeviceKey(key);
  if (dev?.family === "net") {
    if (dev.field === "rxBps") return SeriesKind.NetRx;
    if (dev.field === "txBps") return SeriesKind.NetTx;
  }
  if (dev?.family === "disk") {
    if (dev.field === "readBps") return SeriesKind.DiskRead;
    if (dev.field === "writeBps") return SeriesKind.DiskWrite;
  }
  return SeriesKind.Other;
}

function addSeries(catalog: Catalog, idx: number, key: string): void {
  catalog.seriesByKey.set(key, idx);
  catalog.seriesKeys.set(idx, key);
  catalog.seriesKind.set(idx, kindOf(key));
}

/** The series number of `key`, inserting it when new (inside the caller's transaction). */
export function seriesIdxFor(ctx: StoreContext, key: string): number {
  const known = ctx.catalog.seriesByKey.get(key);
  if (known !== undefined) return known;
  const idx = Number(ctx.st.insertSeries.run(key).lastInsertRowid);
  addSeries(ctx.catalog, idx, key);
  return idx;
}

/** The layout number for `series` (in order), inserting it when new. */
export function layoutIdxFor(ctx: StoreContext, series: number[]): number {
  const sig = JSON.stringify(series);
  const known = ctx.catalog.layoutBySig.get(sig);
  if (known !== undefined) return known;
  const idx = Number(ctx.st.insertLayout.run(sig).lastInsertRowid);
  ctx.catalog.layoutBySig.set(sig, idx);
  ctx.catalog.layoutSeries.set(idx, series);
  return idx;
}

/** The series of layout `layout`. */
export function layoutSeriesOf(ctx: StoreContext, layout: number): number[] {
  const series = ctx.catalog.layoutSeries.get(layout);
  if (!series) throw new RangeError(`Row refers to unknown layout ${layout}`);
  return series;
}

/** A scratch buffer for the aggregates of `count` series. */
export function aggBuffer(ctx: StoreContext, count: number): Float64Array {
  if (ctx.aggBuf.length < count * 4) ctx.aggBuf = new Float64Array(count * 8);
  return ctx.aggBuf;
}

/** Decodes a raw row's values; returns the series numbers they belong to. */
export function decodeRow(ctx: StoreContext, layout: number, vals: Uint8Array): number[] {
  const series = ctx.catalog.layoutSeries.get(layout);
  if (!series) throw new RangeError(`Raw row refers to unknown layout ${layout}`);
  if (ctx.decodeBuf.length < series.length) ctx.decodeBuf = new Float64Array(series.length * 2);
  decodeValues(vals, series.length, ctx.decodeBuf);
  return series;
}

interface MachineDbRow {
  idx: number;
  id: unknown;
  name: unknown;
  hostname: unknown;
  os: unknown;
  os_name: unknown;
  kernel: unknown;
  arch: unknown;
  cores: number;
  mem_total: number;
  agent_version: unknown;
  interval_ms: number;
  first_seen: number;
  last_seen: number;
  last_seq: number;
  open_minute: number | null;
  minute_floor: number;
  removed_at: number | null;
  purge: number;
  expected_offline_since: number | null;
  expected_offline_until: number | null;
  expected_offline_note: unknown;
}

/** Builds the public row of a machine from its database row. */
function machineRowOf(r: MachineDbRow): MachineRow {
  const row: MachineRow = {
    id: textOf(r.id),
    name: textOf(r.name),
    hostname: textOf(r.hostname),
    os: textOf(r.os),
    arch: textOf(r.arch),
    cores: r.cores,
    memTotal: r.mem_total,
    agentVersion: textOf(r.agent_version),
    intervalMs: r.interval_ms,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    lastSeq: r.last_seq,
  };
  const osName = textOrNull(r.os_name);
  const kernel = textOrNull(r.kernel);
  if (osName !== null) row.osName = osName;
  if (kernel !== null) row.kernel = kernel;
  if (r.removed_at !== null) row.removedAt = r.removed_at;
  if (r.purge === 1) row.purging = true;
  if (r.expected_offline_since !== null) {
    row.expectedOffline = {
      since: r.expected_offline_since,
      until: r.expected_offline_until,
      note: textOrNull(r.expected_offline_note),
    };
  }
  return row;
}

/** A fresh state for a machine row just inserted or loaded. */
export function newMachineState(idx: number, row: MachineRow, now: number): MachineState {
  return {
    idx,
    row,
    latest: null,
    latestTs: -Infinity,
    latestSavedAt: -Infinity,
    openMinute: null,
    minuteFloor: 0,
    acc: new Map(),
    lastReceived: now,
    lastSeenSaved: row.lastSeen,
    current: null,
    shapes: [],
    dirty: false,
  };
}

interface NewestRawRow {
  ts: number;
  seq: number;
  flags: number;
  reason: unknown;
  layout: number;
  vals: Uint8Array;
}

/**
 * When the newest raw row is newer than the saved latest sample (the process died between
 * saves), rebuilds the latest sample from it, keeping filesystem types from the saved one;
 * its seq may also be higher than the saved last seq (workers send in order).
 */
function newerLatestFromRaw(ctx: StoreContext, state: MachineState): void {
  const row = ctx.st.rawNewestOne.get(state.idx) as NewestRawRow | undefined;
  if (row && row.seq > state.row.lastSeq) state.row.lastSeq = row.seq;
  if (!row || row.ts <= state.latestTs) return;
  const series = decodeRow(ctx, row.layout, row.vals);
  const values = new Map<string, number>();
  for (let i = 0; i < series.length; i++) {
    values.set(ctx.catalog.seriesKeys.get(series[i])!, ctx.decodeBuf[i]);
  }
  const sample = unflattenSample({
    ts: row.ts,
    seq: row.seq,
    machineId: state.row.id,
    hostname: state.row.hostname,
  }, values);
  const old = state.latest?.sample.filesystems;
  for (const fs of sample.filesystems ?? []) {
    const saved = old?.find((o) => o.mount === fs.mount);
    if (saved) {
      fs.fstype = saved.fstype;
      if (saved.device !== undefined) fs.device = saved.device;
    }
  }
  const score = values.get("anomaly.score");
  state.latest = {
    sample,
    verdict: {
      score: score ?? null,
      anomalous: (row.flags & 2) !== 0,
      reason: textOrNull(row.reason),
    },
  };
  state.latestTs = row.ts;
  state.latestSavedAt = -Infinity;
}

/** (Re)loads catalogue and machines from the database, rebuilding open minute aggregates. */
export function loadState(ctx: StoreContext): void {
  const catalog: Catalog = {
    seriesByKey: new Map(),
    seriesKeys: new Map(),
    seriesKind: new Map(),
    layoutBySig: new Map(),
    layoutSeries: new Map(),
  };
  for (const r of ctx.st.allSeries.all() as { idx: number; key: unknown }[]) {
    addSeries(catalog, r.idx, textOf(r.key));
  }
  for (const r of ctx.st.allLayouts.all() as { idx: number; series: string }[]) {
    catalog.layoutBySig.set(r.series, r.idx);
    catalog.layoutSeries.set(r.idx, JSON.parse(r.series) as number[]);
  }
  ctx.catalog = catalog;
  ctx.machines = new Map();
  ctx.byIdx = new Map();
  const now = ctx.now();
  const latest = new Map<number, { ts: number; sample: string; verdict: string | null }>();
  for (const r of ctx.st.allLatest.all()) {
    const row = r as { machine: number; ts: number; sample: string; verdict: string | null };
    latest.set(row.machine, row);
  }
  for (const r of ctx.st.allMachines.all() as unknown as MachineDbRow[]) {
    const state = newMachineState(r.idx, machineRowOf(r), now);
    if (state.row.purging) {
      // Its data is being deleted: nothing of it is loaded, so nothing is written back.
      ctx.machines.set(state.row.id, state);
      ctx.byIdx.set(r.idx, state);
      continue;
    }
    const saved = latest.get(r.idx);
    if (saved) {
      state.latest = {
        sample: JSON.parse(saved.sample) as Sample,
        verdict: saved.verdict === null ? null : JSON.parse(saved.verdict) as Verdict,
      };
      state.latestTs = saved.ts;
      state.latestSavedAt = now;
    }
    newerLatestFromRaw(ctx, state);
    state.minuteFloor = r.minute_floor;
    state.openMinute = r.open_minute;
    if (r.open_minute !== null) {
      const rows = ctx.st.rawRangeFrom.all(r.idx, r.open_minute, r.open_minute + MINUTE_MS) as {
        layout: number;
        vals: Uint8Array;
      }[];
      for (const raw of rows) {
        const series = decodeRow(ctx, raw.layout, raw.vals);
        for (let i = 0; i < series.length; i++) addValue(state.acc, series[i], ctx.decodeBuf[i]);
      }
    }
    ctx.machines.set(state.row.id, state);
    ctx.byIdx.set(r.idx, state);
  }
  ctx.processes.reload(ctx.byIdx.keys());
}
