/** Anomaly events: open, update, list. */
import type { AnomalyCause, AnomalyEvent } from "./store_types.ts";
import type { StoreContext } from "./store_state.ts";
import { textOf } from "./store_db.ts";

interface AnomalyDbRow {
  id: number;
  machine: number;
  start: number;
  end: number | null;
  peak_score: number;
  reason: unknown;
  causes: unknown;
}

function checkEventFields(e: Partial<Omit<AnomalyEvent, "id" | "machineId">>): void {
  if (e.start !== undefined && !Number.isFinite(e.start)) {
    throw new RangeError(`Anomaly start must be a time in ms, got ${e.start}`);
  }
  if (e.end !== undefined && e.end !== null && !Number.isFinite(e.end)) {
    throw new RangeError(`Anomaly end must be a time in ms or null, got ${e.end}`);
  }
  if (e.peakScore !== undefined && !Number.isFinite(e.peakScore)) {
    throw new RangeError(`Anomaly peakScore must be a finite number, got ${e.peakScore}`);
  }
  if (e.reason !== undefined && typeof e.reason !== "string") {
    throw new TypeError("Anomaly reason must be a string");
  }
  if (e.causes !== undefined && !Array.isArray(e.causes)) {
    throw new TypeError("Anomaly causes must be an array");
  }
}

function eventOf(ctx: StoreContext, r: AnomalyDbRow): AnomalyEvent {
  return {
    id: r.id,
    machineId: ctx.byIdx.get(r.machine)?.row.id ?? "",
    start: r.start,
    end: r.end,
    peakScore: r.peak_score,
    reason: textOf(r.reason),
    causes: JSON.parse(textOf(r.causes)) as AnomalyCause[],
  };
}

/** Stores a new event; returns its id. The machine must be registered. */
export function openAnomaly(ctx: StoreContext, event: Omit<AnomalyEvent, "id">): number {
  const state = ctx.machines.get(event.machineId);
  if (!state) {
    throw new RangeError(`Cannot record an anomaly of unknown machine ${event.machineId}`);
  }
  checkEventFields(event);
  return Number(
    ctx.st.insertAnomaly.run(
      state.idx,
      event.start,
      event.end,
      event.peakScore,
      event.reason,
      JSON.stringify(event.causes ?? []),
    ).lastInsertRowid,
  );
}

/** Changes the given fields of event `id`. */
export function updateAnomaly(
  ctx: StoreContext,
  id: number,
  patch: Partial<Omit<AnomalyEvent, "id" | "machineId">>,
): void {
  checkEventFields(patch);
  const row = ctx.st.getAnomaly.get(id) as AnomalyDbRow | undefined;
  if (!row) throw new RangeError(`No anomaly event with id ${id}`);
  ctx.st.updateAnomaly.run(
    patch.start ?? row.start,
    patch.end === undefined ? row.end : patch.end,
    patch.peakScore ?? row.peak_score,
    patch.reason ?? textOf(row.reason),
    patch.causes === undefined ? textOf(row.causes) : JSON.stringify(patch.causes),
    id,
  );
}

/** Events overlapping [from, to], newest first (default limit 1000). */
export function listAnomalies(
  ctx: StoreContext,
  query: { from: number; to: number; machineId?: string; limit?: number },
): AnomalyEvent[] {
  const { from, to } = query;
  const limit = query.limit ?? 1000;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new RangeError(`Anomaly range must be finite with from <= to, got ${from}..${to}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    throw new RangeError(`limit must be an integer from 1 to 100000, got ${limit}`);
  }
  let rows: AnomalyDbRow[];
  if (query.machineId !== undefined) {
    const state = ctx.machines.get(query.machineId);
    if (!state) return [];
    rows = ctx.st.listAnomaliesOf.all(to, from, limit, state.idx) as unknown as AnomalyDbRow[];
  } else {
    rows = ctx.st.listAnomalies.all(to, from, limit) as unknown as AnomalyDbRow[];
  }
  return rows.map((r) => eventOf(ctx, r));
}
