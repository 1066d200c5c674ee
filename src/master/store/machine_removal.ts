/**
 * Removing a machine from the fleet, deleting its data, and its expected-offline mark.
 *
 * The data of a machine is every row of every table with a `machine` column (the convention of
 * migrations.ts), found from the schema itself so that a table a later migration adds is covered
 * too. It is deleted in statements of at most PURGE_CHUNK_ROWS rows, each its own short
 * transaction, so ingest keeps flowing between them; the machine row goes last, and until then
 * `purge = 1` lets a restarted master finish the job.
 */
import type { DatabaseSync } from "node:sqlite";
import type { ExpectedOffline, MachineRow, PurgeProgress } from "./store_types.ts";
import type { StoreContext } from "./store_state.ts";
import { inTransaction } from "./ingest.ts";

/** Most rows one DELETE statement of a purge removes. */
export const PURGE_CHUNK_ROWS = 5_000;

/** A table keyed by machine, with the statement that deletes one chunk of a machine's rows. */
interface MachineTable {
  name: string;
  /** Binds (machine idx, limit). */
  deleteChunk: string;
}

const tablesOf = new WeakMap<DatabaseSync, MachineTable[]>();

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Every table with a `machine` column, read from the schema (once per connection). */
export function machineTables(db: DatabaseSync): MachineTable[] {
  const known = tablesOf.get(db);
  if (known) return known;
  const tables = db.prepare(
    `SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
       AND name NOT LIKE 'sqlite_%' ORDER BY name`,
  ).all() as { name: string; wr: number }[];
  const out: MachineTable[] = [];
  for (const { name, wr } of tables) {
    const columns = db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all(name) as {
      name: string;
      pk: number;
    }[];
    if (!columns.some((c) => c.name === "machine")) continue;
    const t = quoted(name);
    if (wr === 0) {
      out.push({
        name,
        deleteChunk: `DELETE FROM ${t} WHERE rowid IN
          (SELECT rowid FROM ${t} WHERE machine = ?1 LIMIT ?2)`,
      });
      continue;
    }
    // WITHOUT ROWID: rows are named by their primary key.
    const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)
      .map((c) => quoted(c.name)).join(", ");
    out.push({
      name,
      deleteChunk: `DELETE FROM ${t} WHERE machine = ?1 AND (${key}) IN
        (SELECT ${key} FROM ${t} WHERE machine = ?1 LIMIT ?2)`,
    });
  }
  tablesOf.set(db, out);
  return out;
}

/** Marks the machine removed; with `deleteData`, drops what is only in memory and flags the purge. */
export function removeMachine(
  ctx: StoreContext,
  id: string,
  now: number,
  options: { deleteData: boolean },
): MachineRow | undefined {
  const state = ctx.machines.get(id);
  if (!state) return undefined;
  if (state.row.purging) return { ...state.row };
  const removedAt = state.row.removedAt ?? now;
  inTransaction(ctx, () => {
    ctx.db.prepare(
      `UPDATE machines SET removed_at = ?, purge = ?, expected_offline_since = NULL,
         expected_offline_until = NULL, expected_offline_note = NULL WHERE idx = ?`,
    ).run(removedAt, options.deleteData ? 1 : 0, state.idx);
  });
  state.row.removedAt = removedAt;
  delete state.row.expectedOffline;
  if (options.deleteData) {
    state.row.purging = true;
    // The open minute and the latest sample are never written back.
    state.openMinute = null;
    state.acc = new Map();
    state.latest = null;
    state.latestTs = -Infinity;
    state.dirty = false;
    ctx.processes.forget(state.idx);
  }
  return { ...state.row };
}

/** Deletes up to about `maxRows` rows of a machine being purged; its row when nothing is left. */
export function purgeMachine(ctx: StoreContext, id: string, maxRows: number): PurgeProgress {
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
  }
  const state = ctx.machines.get(id);
  const deleted: Record<string, number> = {};
  if (!state) return { deleted, done: true };
  if (!state.row.purging) {
    throw new RangeError(`Machine ${id} was not removed with its data; nothing to delete`);
  }
  let budget = maxRows;
  for (const table of machineTables(ctx.db)) {
    const stmt = ctx.db.prepare(table.deleteChunk);
    for (;;) {
      if (budget <= 0) return { deleted, done: false };
      const limit = Math.min(PURGE_CHUNK_ROWS, budget);
      const n = Number(stmt.run(state.idx, limit).changes);
      if (n > 0) deleted[table.name] = (deleted[table.name] ?? 0) + n;
      budget -= n;
      if (n < limit) break;
    }
  }
  ctx.db.prepare(`DELETE FROM machines WHERE idx = ?`).run(state.idx);
  ctx.machines.delete(id);
  ctx.byIdx.delete(state.idx);
  // A reload while the purge ran may have read some of it back; a new machine may get its idx.
  ctx.processes.forget(state.idx);
  return { deleted, done: true };
}

/** Sets or lifts the expected-offline mark of a machine. */
export function setExpectedOffline(
  ctx: StoreContext,
  id: string,
  mark: ExpectedOffline | null,
): MachineRow | undefined {
  const state = ctx.machines.get(id);
  if (!state) return undefined;
  ctx.db.prepare(
    `UPDATE machines SET expected_offline_since = ?, expected_offline_until = ?,
       expected_offline_note = ? WHERE idx = ?`,
  ).run(mark?.since ?? null, mark?.until ?? null, mark?.note ?? null, state.idx);
  if (mark) state.row.expectedOffline = { ...mark };
  else delete state.row.expectedOffline;
  return { ...state.row };
}
