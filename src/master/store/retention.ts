/**
 * Retention: deletes rows older than each tier's retention, oldest first, in statements of at
 * most RETENTION_CHUNK_ROWS rows (each its own short transaction) and at most
 * `ctx.retentionMaxRows` rows per call, so a pass never holds the write lock for long.
 *
 * How the master should run it: `await retainInSlices(store, Date.now())` every 10 s. It calls
 * `applyRetention` for slices of 5,000 rows and yields to the event loop between them, so ingest
 * flushes run in between, until nothing more is due. At 1,000 machines at 1 s about 1,000 raw
 * rows expire per second. (A bare `applyRetention(now)` deletes up to 50,000 rows in one go:
 * called once a minute at that fleet size it cannot keep up and blocks for a few hundred ms.)
 */
import type { StatementSync } from "node:sqlite";
import type { StoreContext } from "./store_state.ts";

/** Most rows one DELETE statement removes. */
export const RETENTION_CHUNK_ROWS = 5_000;
/** Default most rows one `applyRetention` call removes. */
export const RETENTION_MAX_ROWS_PER_CALL = 50_000;

/** Deleting one table's expired rows, per machine (store_db.ts `tierStatements`). */
export interface TierStatements {
  chunk: StatementSync;
  oldest: StatementSync;
  hasExpired: StatementSync;
}

function deleteMachineTier(
  s: TierStatements,
  machine: number,
  cutoff: number,
  budget: number,
): number {
  let deleted = 0;
  while (deleted < budget && s.hasExpired.get(machine, cutoff) !== undefined) {
    const limit = Math.min(RETENTION_CHUNK_ROWS, budget - deleted);
    let n = Number(s.chunk.run(machine, cutoff, limit).changes);
    // Every row of the chunk shares one time (a burst clamped to one receive time): take that
    // one time step whole so the pass always moves on.
    if (n === 0) n = Number(s.oldest.run(machine, cutoff).changes);
    if (n === 0) break;
    deleted += n;
  }
  return deleted;
}

/** Deletes expired rows of every tier; returns how many rows were deleted. */
export function applyRetention(
  ctx: StoreContext,
  now: number,
  maxRows: number = ctx.retentionMaxRows,
): number {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a time in ms, got ${now}`);
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
  }
  const { st, retention } = ctx;
  const tiers: [TierStatements, number][] = [
    [
      { chunk: st.rawChunkDelete, oldest: st.rawOldestDelete, hasExpired: st.rawHasExpired },
      now - retention.raw,
    ],
    [
      {
        chunk: st.minuteChunkDelete,
        oldest: st.minuteOldestDelete,
        hasExpired: st.minuteHasExpired,
      },
      now - retention.minute,
    ],
    [
      { chunk: st.hourChunkDelete, oldest: st.hourOldestDelete, hasExpired: st.hourHasExpired },
      now - retention.hour,
    ],
  ];
  for (const { tier, statements } of ctx.processes.retention) {
    tiers.push([statements, now - retention[tier]]);
  }
  const budget = maxRows;
  let deleted = 0;
  const machines = [...ctx.byIdx.keys()].sort((a, b) => a - b);
  // Start where the last pass stopped, so a tight budget still reaches every machine.
  const first = Math.max(0, machines.findIndex((m) => m >= ctx.retentionCursor));
  for (const [statements, cutoff] of tiers) {
    for (let k = 0; k < machines.length && deleted < budget; k++) {
      const machine = machines[(first + k) % machines.length];
      deleted += deleteMachineTier(statements, machine, cutoff, budget - deleted);
      if (deleted >= budget) ctx.retentionCursor = machine;
    }
  }
  while (deleted < budget) {
    const n = Number(
      st.skewedChunkDelete.run(
        now - retention.raw,
        Math.min(RETENTION_CHUNK_ROWS, budget - deleted),
      )
        .changes,
    );
    deleted += n;
    if (n === 0) break;
  }
  // The fleet rows and closed anomaly events are kept as long as the hour tier.
  const longest = now - retention.hour;
  while (deleted < budget) {
    const limit = Math.min(RETENTION_CHUNK_ROWS, budget - deleted);
    let n = Number(st.deleteFleet.run(longest, limit).changes);
    if (n < limit) n += Number(st.deleteAnomalies.run(longest, limit - n).changes);
    deleted += n;
    if (n === 0) break;
  }
  return deleted;
}

/** What `retainInSlices` needs: the store's retention with a per-call row limit. */
export interface SliceableRetention {
  applyRetention(now: number, maxRows?: number): number;
}

/**
 * Applies retention in slices of `sliceRows`, yielding to the event loop between slices, until
 * a slice deletes less than a full slice or `maxRows` are gone. Returns rows deleted.
 */
export async function retainInSlices(
  store: SliceableRetention,
  now: number,
  options: { sliceRows?: number; maxRows?: number } = {},
): Promise<number> {
  const slice = options.sliceRows ?? RETENTION_CHUNK_ROWS;
  const max = options.maxRows ?? Infinity;
  let total = 0;
  while (total < max) {
    const n = store.applyRetention(now, Math.min(slice, max - total));
    total += n;
    if (n < slice) break;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return total;
}
