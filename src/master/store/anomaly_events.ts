/** Anomaly events: open, update, list. */
import {
  ANOMALY_CLOSE_REASONS,
  type AnomalyCause,
  type AnomalyCloseReason,
  type AnomalyEvent,
  type NewAnomalyEvent,
} from "./store_types.ts";
import type { StoreContext } from "./store_state.ts";
import { textOf } from "./store_db.ts";

interface AnomalyDbRow {
  id: number;
  machine: number;
  start: number;
  end: number | null;
  peak_score: number;
  close_reason: string | null;
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
  const why = e.closeReason;
  if (why !== undefined && why !== null && !ANOMALY_CLOSE_REASONS.includes(why)) {
    throw new RangeError(
      `Anomaly closeReason must be one of ${ANOMALY_CLOSE_REASONS.join(", ")} or null, got ${why}`,
    );
  }
}

function checkCloseReason(end: number | null, closeReason: AnomalyCloseReason | null | undefined) {
  if (closeReason && end === null) {
    throw new RangeError("An open anomaly event (end null) cannot have a closeReason");
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
    closeReason: r.close_reason as AnomalyCloseReason | null,
  };
}

/** Stores a new event; returns its id. The machine must be registered. */
export function openAnomaly(ctx: StoreContext, event: NewAnomalyEvent): number {
  const state = ctx.machines.get(event.machineId);
  if (!state) {
    throw new RangeError(`Cannot record an anomaly of unknown machine ${event.machineId}`);
  }
  checkEventFields(event);
  checkCloseReason(event.end, event.closeReason);
  return Number(
    ctx.st.insertAnomaly.run(
      state.idx,
      event.start,
      event.end,
      event.peakScore,
      event.reason,
      JSON.stringify(event.causes ?? []),
      event.closeReason ?? null,
    ).lastInsertRowid,
  );
}

/**
 * Changes the given fields of event `id`. Reopening (end back to null) clears closeReason;
 * closing without one keeps what was stored.
 */
export function updateAnomaly(
  ctx: StoreContext,
  id: number,
  patch: Partial<Omit<AnomalyEvent, "id" | "machineId">>,
): void {
  checkEventFields(patch);
  const row = ctx.st.getAnomaly.get(id) as AnomalyDbRow | undefined;
  if (!row) throw new RangeError(`No anomaly event with id ${id}`);
  const end = patch.end === undefined ? row.end : patch.end;
  checkCloseReason(end, patch.closeReason);
  const closeReason = end === null ? null : patch.closeReason ?? row.close_reason;
  ctx.st.updateAnomaly.run(
    patch.start ?? row.start,
    end,
    patch.peakScore ?? row.peak_score,
    patch.reason ?? textOf(row.reason),
    patch.causes === undefined ? textOf(row.causes) : JSON.stringify(patch.causes),
    closeReason,
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
