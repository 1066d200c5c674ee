/**
 * The write side: machines, raw rows and rollups.
 *
 * Rollups: each machine's current minute is aggregated in memory (`MachineState.acc`). When a
 * row of a later minute arrives, or the machine has sent nothing for IDLE_CLOSE_MS, the minute
 * is closed: its count/min/max/sum per series go into its `rollup_minute` row, are merged into
 * the hour's `rollup_hour` row, and added to `fleet_minute`, in the same transaction as the
 * raw row that closed it. Rows of a minute already closed (a late replay) are merged straight
 * into the tables. The open minute is only in memory and in the raw rows, so after a crash
 * `loadState` rebuilds it from the raw rows (the machine row remembers which minute was open).
 */
import { flattenSample } from "../../protocol/metrics.ts";
import type { IngestRow, MachineInfo, MachineRow } from "./store_types.ts";
import type { StatementSync } from "node:sqlite";
import { addAgg, addValue, type Agg, bucketOf, HOUR_MS, MINUTE_MS } from "./rollup.ts";
import { aggSeries, decodeAggs, encodeAggs } from "./rollup_codec.ts";
import { fleetContribution } from "./fleet.ts";
import {
  aggBuffer,
  layoutIdxFor,
  layoutSeriesOf,
  loadState,
  type MachineState,
  newMachineState,
  seriesIdxFor,
  type ShapeLayout,
  type StoreContext,
} from "./store_state.ts";
import { storedValue } from "./value_codec.ts";
import { sameShape, sameValues, walkSample } from "./sample_values.ts";

/** A machine silent this long gets its open minute written to the rollup tables. */
export const IDLE_CLOSE_MS = 2 * MINUTE_MS;
/** How often a machine's latest sample is saved as JSON (always on close). */
export const LATEST_SAVE_EVERY_MS = 30_000;
/** How often `write` looks for such machines. */
const SWEEP_EVERY_MS = 10_000;

/** Runs `fn` in one IMMEDIATE transaction; on failure rolls back and reloads the state. */
export function inTransaction<T>(ctx: StoreContext, fn: () => T): T {
  ctx.db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    ctx.db.exec("COMMIT");
    return out;
  } catch (error) {
    if (ctx.db.isTransaction) ctx.db.exec("ROLLBACK");
    loadState(ctx);
    throw error;
  }
}

function checkInfo(info: MachineInfo): void {
  if (typeof info.id !== "string" || info.id.length === 0) {
    throw new TypeError("Cannot register a machine without an id");
  }
}

/** The row of a machine from its info: only the known fields, never anything else a caller put in. */
function rowFrom(
  info: MachineInfo,
  name: string,
  times: { firstSeen: number; lastSeen: number; lastSeq: number },
): MachineRow {
  const row: MachineRow = {
    id: info.id,
    name,
    hostname: String(info.hostname ?? ""),
    os: String(info.os ?? ""),
    arch: String(info.arch ?? ""),
    cores: Number(info.cores) || 0,
    memTotal: Number(info.memTotal) || 0,
    agentVersion: String(info.agentVersion ?? ""),
    intervalMs: Number(info.intervalMs) || 0,
    ...times,
  };
  if (info.osName !== undefined) row.osName = String(info.osName);
  if (info.kernel !== undefined) row.kernel = String(info.kernel);
  return row;
}

function saveInfo(ctx: StoreContext, idx: number, row: MachineRow): void {
  ctx.st.updateMachineInfo.run(
    row.name,
    row.hostname,
    row.os,
    row.osName ?? null,
    row.kernel ?? null,
    row.arch,
    row.cores,
    row.memTotal,
    row.agentVersion,
    row.intervalMs,
    row.lastSeen,
    idx,
  );
}

/**
 * Inserts or updates a machine (first seen is kept, last seen only moves forward). The name is
 * `info.name`, else the hostname, else `machine_<n>`.
 */
export function registerMachine(ctx: StoreContext, info: MachineInfo, now: number): MachineRow {
  checkInfo(info);
  if (!Number.isFinite(now)) throw new RangeError(`now must be a time in ms, got ${now}`);
  const existing = ctx.machines.get(info.id);
  const name = info.name?.trim() || info.hostname?.trim() || "";
  if (existing) {
    const old = existing.row;
    if (old.purging) {
      throw new RangeError(
        `Machine ${info.id} was removed and its data is being deleted; it can join once that is done`,
      );
    }
    // Saving the info also brings a removed machine back (removed_at = NULL).
    existing.row = rowFrom(info, name || old.name, {
      firstSeen: old.firstSeen,
      lastSeen: Math.max(old.lastSeen, now),
      lastSeq: old.lastSeq,
    });
    if (old.expectedOffline) existing.row.expectedOffline = old.expectedOffline;
    saveInfo(ctx, existing.idx, existing.row);
    return { ...existing.row };
  }
  const row = rowFrom(info, name, { firstSeen: now, lastSeen: now, lastSeq: -1 });
  const idx = Number(
    ctx.st.insertMachine.run(
      row.id,
      row.name,
      row.hostname,
      row.os,
      row.osName ?? null,
      row.kernel ?? null,
      row.arch,
      row.cores,
      row.memTotal,
      row.agentVersion,
      row.intervalMs,
      now,
      now,
    ).lastInsertRowid,
  );
  if (!name) {
    row.name = `machine_${idx}`;
    saveInfo(ctx, idx, row);
  }
  const state = newMachineState(idx, row, ctx.now());
  ctx.machines.set(row.id, state);
  ctx.byIdx.set(idx, state);
  return { ...row };
}

/** How stale a machine's saved last-seen time may get (memory always has the exact one). */
export const LAST_SEEN_SAVE_EVERY_MS = 10_000;

/**
 * Moves last-seen times forward. Saved to the database when LAST_SEEN_SAVE_EVERY_MS newer than
 * the saved one (and on close), so a flush does not rewrite every machine row.
 */
export function touchMachines(ctx: StoreContext, lastSeen: Map<string, number>): void {
  const save: MachineState[] = [];
  for (const [id, t] of lastSeen) {
    const state = ctx.machines.get(id);
    if (!state || !(t > state.row.lastSeen)) continue;
    state.row.lastSeen = t;
    if (t - state.lastSeenSaved >= LAST_SEEN_SAVE_EVERY_MS) save.push(state);
  }
  if (save.length === 0) return;
  inTransaction(ctx, () => {
    for (const state of save) saveLastSeen(ctx, state);
  });
}

/** Writes the machine's last-seen time (inside the caller's transaction). */
export function saveLastSeen(ctx: StoreContext, state: MachineState): void {
  ctx.st.touchMachine.run(state.row.lastSeen, state.idx);
  state.lastSeenSaved = state.row.lastSeen;
}

/** Merges `acc` into the rollup row (machine, bucket) read with `get` and written with `put`. */
function mergeRollup(
  ctx: StoreContext,
  get: StatementSync,
  put: StatementSync,
  machine: number,
  bucket: number,
  acc: Map<number, Agg>,
): void {
  const existing = get.get(machine, bucket) as { layout: number; aggs: Uint8Array } | undefined;
  let merged = acc;
  if (existing) {
    merged = new Map();
    for (const [s, a] of acc) merged.set(s, { ...a });
    const series = layoutSeriesOf(ctx, existing.layout);
    const buf = aggBuffer(ctx, series.length);
    decodeAggs(existing.aggs, series.length, buf);
    for (let i = 0; i < series.length; i++) {
      addAgg(merged, series[i], {
        count: buf[4 * i],
        min: buf[4 * i + 1],
        max: buf[4 * i + 2],
        sum: buf[4 * i + 3],
      });
    }
  }
  const series = aggSeries(merged);
  put.run(machine, bucket, layoutIdxFor(ctx, series), encodeAggs(ctx.writer, series, merged));
}

/** Writes a minute's aggregates of one machine into the minute, hour and fleet tables. */
function writeAggregates(
  ctx: StoreContext,
  machine: number,
  minute: number,
  acc: Map<number, Agg>,
): void {
  const { st } = ctx;
  mergeRollup(ctx, st.getMinute, st.putMinute, machine, minute, acc);
  mergeRollup(ctx, st.getHour, st.putHour, machine, bucketOf(minute, HOUR_MS), acc);
  const c = fleetContribution(ctx.catalog, acc);
  st.upsertFleet.run(
    minute,
    c.cpuSum,
    c.cpuCount,
    c.cpuMax,
    c.memSum,
    c.memCount,
    c.memMax,
    c.netRx,
    c.netTx,
    c.diskRead,
    c.diskWrite,
  );
}

/** Writes the machine's open minute to the tables (the caller persists the machine row). */
export function closeMinute(ctx: StoreContext, state: MachineState): void {
  if (state.openMinute === null) return;
  writeAggregates(ctx, state.idx, state.openMinute, state.acc);
  state.minuteFloor = state.openMinute + MINUTE_MS;
  state.openMinute = null;
  state.acc = new Map();
  state.dirty = true;
}

/** Closes the open minute of every machine silent for IDLE_CLOSE_MS. */
export function closeIdleMinutes(ctx: StoreContext, now: number): MachineState[] {
  const closed: MachineState[] = [];
  for (const state of ctx.machines.values()) {
    if (state.openMinute !== null && now - state.lastReceived > IDLE_CLOSE_MS) {
      closeMinute(ctx, state);
      ctx.processes.closeIdle(state.idx);
      closed.push(state);
    }
  }
  return closed;
}

/**
 * Saves a machine's minute bookkeeping when it changed (`dirty`), and its latest sample as JSON
 * and last seq when `force` or every LATEST_SAVE_EVERY_MS: writing them on every flush cost a
 * third of the ingest throughput. After a crash, `loadState` takes the newer latest sample and
 * last seq from the newest raw row.
 */
export function persistMachine(ctx: StoreContext, state: MachineState, force = false): void {
  const latest = state.latest;
  const now = ctx.now();
  const due = force || now - state.latestSavedAt >= LATEST_SAVE_EVERY_MS;
  if (latest && due) {
    ctx.st.saveLatest.run(
      state.idx,
      state.latestTs,
      JSON.stringify(latest.sample),
      latest.verdict ? JSON.stringify(latest.verdict) : null,
    );
    state.latestSavedAt = now;
  }
  if (!state.dirty && !due) return;
  ctx.st.updateMachineBuckets.run(
    state.row.lastSeq,
    state.openMinute,
    state.minuteFloor,
    state.idx,
  );
  state.dirty = false;
}

/** How many shapes of a machine keep their layout (see ShapeLayout). */
const SHAPES_KEPT = 4;

/**
 * The sample's values (in layout order), and sets `state.current` to the layout they go to.
 * Fast path: the walk's shape is one of the machine's recent ones, so the keys are the same.
 */
function valuesOf(ctx: StoreContext, state: MachineState, row: IngestRow): number[] {
  const score = row.verdict?.score;
  const walk = ctx.walk;
  walkSample(row.sample, score, walk);
  const shapes = state.shapes;
  for (let i = 0; i < shapes.length; i++) {
    const known = shapes[i];
    if (!sameShape(walk.shape, known.shape)) continue;
    if (i > 0) {
      shapes.splice(i, 1);
      shapes.unshift(known);
    }
    state.current = known;
    return walk.values;
  }
  const flat = flattenSample(row.sample);
  if (typeof score === "number" && Number.isFinite(score)) flat.set("anomaly.score", score);
  const values = [...flat.values()];
  const series = [...flat.keys()].map((key) => seriesIdxFor(ctx, key));
  const layout: ShapeLayout = {
    shape: [...walk.shape],
    layout: layoutIdxFor(ctx, series),
    series,
    slots: null,
    slotsOf: null,
  };
  state.current = layout;
  // Only trust the walk for this shape when it reads exactly what flattenSample reads.
  if (sameValues(walk.values, values)) {
    shapes.unshift(layout);
    if (shapes.length > SHAPES_KEPT) shapes.pop();
  }
  return values;
}

interface LateMinute {
  machine: number;
  minute: number;
  acc: Map<number, Agg>;
}

function machineFor(ctx: StoreContext, row: IngestRow): MachineState {
  const known = ctx.machines.get(row.machineId);
  if (known) return known;
  const hostname = row.sample.hostname;
  registerMachine(ctx, {
    id: row.machineId,
    name: hostname,
    hostname,
    os: "",
    arch: "",
    cores: 0,
    memTotal: 0,
    agentVersion: "",
    intervalMs: 0,
  }, row.receivedAt);
  return ctx.machines.get(row.machineId)!;
}

/**
 * Whether a row at or below the machine's last seq is already stored. Workers send in order,
 * so only replays land here: a replayed sample has its original time, unless that was clamped
 * (then its seq is in raw_skewed).
 */
function isStored(ctx: StoreContext, machine: number, row: IngestRow): boolean {
  const { ts, seq } = row.sample;
  if (ctx.st.rawHas.get(machine, ts, seq) !== undefined) return true;
  return ctx.st.skewedHas.get(machine, seq) !== undefined;
}

function writeRow(
  ctx: StoreContext,
  row: IngestRow,
  touched: Set<MachineState>,
  late: Map<string, LateMinute>,
): void {
  const s = row.sample;
  if (!Number.isSafeInteger(s?.ts) || !Number.isSafeInteger(s.seq) || s.seq < 0) {
    throw new TypeError(
      `Cannot store a sample of ${row.machineId} without an integer ts and seq >= 0 (ts=${s?.ts}, seq=${s?.seq})`,
    );
  }
  if (!Number.isFinite(row.receivedAt)) {
    throw new TypeError(`Cannot store a sample of ${row.machineId} without receivedAt`);
  }
  const state = machineFor(ctx, row);
  if (s.seq <= state.row.lastSeq && isStored(ctx, state.idx, row)) {
    row.duplicate = true;
    return;
  }
  const values = valuesOf(ctx, state, row);
  const current = state.current!;
  const layout = current.layout;
  const w = ctx.writer;
  w.reset();
  for (let i = 0; i < values.length; i++) w.push(values[i]);
  const flags = (row.clockSkewed ? 1 : 0) | (row.verdict?.anomalous ? 2 : 0);
  const inserted = ctx.st.insertRaw.run(
    state.idx,
    s.ts,
    s.seq,
    row.receivedAt - s.ts,
    flags,
    row.verdict?.reason ?? null,
    layout,
    w.view(),
  );
  if (inserted.changes === 0) {
    row.duplicate = true;
    return;
  }
  if (row.clockSkewed) ctx.st.insertSkewed.run(state.idx, s.seq, s.ts);
  if (s.processes !== undefined) ctx.processes.writeScan(state.idx, s);
  if (row.receivedAt > state.lastReceived) state.lastReceived = row.receivedAt;
  if (s.seq > state.row.lastSeq) state.row.lastSeq = s.seq;
  if (s.ts >= state.latestTs) {
    state.latest = { sample: s, verdict: row.verdict ?? null };
    state.latestTs = s.ts;
  }
  touched.add(state);

  const minute = bucketOf(s.ts, MINUTE_MS);
  const series = current.series;
  if (minute < (state.openMinute ?? state.minuteFloor)) {
    const key = `${state.idx}:${minute}`;
    let l = late.get(key);
    if (!l) late.set(key, l = { machine: state.idx, minute, acc: new Map() });
    for (let i = 0; i < values.length; i++) addValue(l.acc, series[i], storedValue(values[i]));
    return;
  }
  if (state.openMinute !== null && minute > state.openMinute) closeMinute(ctx, state);
  if (state.openMinute === null) {
    state.openMinute = minute;
    state.dirty = true;
  }
  // The open minute's aggregates in layout order, so each value skips a Map lookup.
  let slots = current.slotsOf === state.acc ? current.slots! : null;
  if (slots === null) {
    slots = series.map((id) => {
      let a = state.acc.get(id);
      if (!a) state.acc.set(id, a = { min: Infinity, max: -Infinity, sum: 0, count: 0 });
      return a;
    });
    current.slots = slots;
    current.slotsOf = state.acc;
  }
  for (let i = 0; i < values.length; i++) {
    const v = storedValue(values[i]);
    const a = slots[i];
    if (v < a.min) a.min = v;
    if (v > a.max) a.max = v;
    a.sum += v;
    a.count++;
  }
}

/**
 * Stores rows in one transaction, skipping (machine, seq) pairs already stored. Returns, for
 * every machine in `rows`, the highest sequence number committed.
 */
export function writeRows(ctx: StoreContext, rows: readonly IngestRow[]): Map<string, number> {
  const now = ctx.now();
  inTransaction(ctx, () => {
    const touched = new Set<MachineState>();
    if (now - ctx.lastSweep >= SWEEP_EVERY_MS) {
      ctx.lastSweep = now;
      for (const state of closeIdleMinutes(ctx, now)) touched.add(state);
    }
    const late = new Map<string, LateMinute>();
    for (const row of rows) writeRow(ctx, row, touched, late);
    for (const l of late.values()) writeAggregates(ctx, l.machine, l.minute, l.acc);
    for (const state of touched) persistMachine(ctx, state);
  });
  const out = new Map<string, number>();
  for (const row of rows) {
    const state = ctx.machines.get(row.machineId);
    if (state) out.set(row.machineId, state.row.lastSeq);
  }
  return out;
}
