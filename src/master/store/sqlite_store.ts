/**
 * The master's store on `node:sqlite`: one database file, WAL, one transaction per `write`.
 * See store_db.ts (durability, SQL), ingest.ts (rollups), retention.ts (how to call
 * `applyRetention`) and migrations.ts (schema).
 */
import type { Retention } from "./store_types.ts";
import type { Store } from "./store_types.ts";
import { openDatabase, prepareStatements } from "./store_db.ts";
import { loadState, type StoreContext } from "./store_state.ts";
import {
  closeIdleMinutes,
  inTransaction,
  persistMachine,
  registerMachine,
  saveLastSeen,
  touchMachines,
  writeRows,
} from "./ingest.ts";
import { querySeries, type SeriesQueryWithTier } from "./series_query.ts";
import { queryFleet } from "./fleet.ts";
import { queryScatter, recentSamples } from "./sample_query.ts";
import { listAnomalies, openAnomaly, updateAnomaly } from "./anomaly_events.ts";
import { applyRetention, RETENTION_MAX_ROWS_PER_CALL } from "./retention.ts";
import { purgeMachine, removeMachine, setExpectedOffline } from "./machine_removal.ts";
import { ValueWriter } from "./value_codec.ts";
import { newWalk } from "./sample_values.ts";
import { openProcessTables } from "./process_store.ts";
import { processesAt, processHistory, type ProcessHistoryQuery } from "./process_query.ts";
import type { Tier } from "./series_plan.ts";
import { type Checkpointer, startCheckpointer } from "./checkpointer.ts";

export interface StoreOptions {
  /** The database file (created when missing), or ":memory:". */
  path: string;
  retention: Retention;
  /** The master's clock (for tests); defaults to Date.now. */
  now?: () => number;
  /** Most rows one `applyRetention` call deletes (default 50,000). */
  retentionMaxRows?: number;
  /** Checkpoint the WAL from a worker thread (default true for a file). */
  backgroundCheckpoint?: boolean;
  /** Where the store reports background problems (default: console.error). */
  log?: (line: string) => void;
}

/** The SQLite store, with `querySeries` accepting a forced `tier`. */
export interface SqliteStore extends Store {
  /** As in Store, with an optional row limit for this call (see retainInSlices). */
  applyRetention(now: number, maxRows?: number): number;
  querySeries(machineId: string, query: SeriesQueryWithTier): ReturnType<Store["querySeries"]>;
  /** As in Store, optionally from a forced tier. */
  processHistory(
    machineId: string,
    query: ProcessHistoryQuery,
    tier?: Tier,
  ): ReturnType<Store["processHistory"]>;
  /** Writes the whole WAL back into the database file and empties it (for measuring size). */
  checkpoint(): void;
}

function checkRetention(retention: Retention): void {
  for (const tier of ["raw", "minute", "hour"] as const) {
    const v = retention?.[tier];
    if (typeof v !== "number" || !(v > 0)) {
      throw new RangeError(
        `Retention of the ${tier} tier must be a positive number of ms, got ${v}`,
      );
    }
  }
}

/** Opens (creating and migrating as needed) the store at `options.path`. */
export function openStore(options: StoreOptions): SqliteStore {
  checkRetention(options.retention);
  const maxRows = options.retentionMaxRows ?? RETENTION_MAX_ROWS_PER_CALL;
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`retentionMaxRows must be a positive integer, got ${maxRows}`);
  }
  const db = openDatabase(options.path);
  let closed = false;
  const inMemory = options.path === ":memory:" || options.path === "";
  let checkpointer: Checkpointer | undefined;
  if (!inMemory && options.backgroundCheckpoint !== false) {
    const log = options.log ?? ((line: string) => console.error(line));
    try {
      let failed = false;
      checkpointer = startCheckpointer(options.path, {
        onError(message) {
          if (failed) return;
          failed = true;
          log(`store: background checkpoint failed (${message}); SQLite checkpoints on commit`);
          if (!closed) db.exec("PRAGMA wal_autocheckpoint = 8000");
        },
      });
      // The safety net: only a stalled checkpointer lets the WAL grow this far (~160 MB).
      db.exec("PRAGMA wal_autocheckpoint = 40000");
    } catch (error) {
      log(`store: no background checkpoints (${String(error)}); SQLite checkpoints on commit`);
    }
  }
  let ctx: StoreContext;
  try {
    ctx = {
      db,
      st: prepareStatements(db),
      retention: { ...options.retention },
      now: options.now ?? Date.now,
      machines: new Map(),
      byIdx: new Map(),
      catalog: {
        seriesByKey: new Map(),
        seriesKeys: new Map(),
        seriesKind: new Map(),
        layoutBySig: new Map(),
        layoutSeries: new Map(),
      },
      writer: new ValueWriter(),
      decodeBuf: new Float64Array(256),
      aggBuf: new Float64Array(1024),
      walk: newWalk(),
      lastSweep: -Infinity,
      retentionCursor: 0,
      retentionMaxRows: maxRows,
      processes: openProcessTables(db),
    };
    loadState(ctx);
  } catch (error) {
    checkpointer?.stop();
    db.close();
    throw error;
  }
  function open(): StoreContext {
    if (closed) throw new Error("The store is closed");
    return ctx;
  }
  return {
    registerMachine: (info, now) => registerMachine(open(), info, now),
    getMachine(id) {
      const state = open().machines.get(id);
      return state ? { ...state.row } : undefined;
    },
    listMachines: () => [...open().machines.values()].map((s) => ({ ...s.row })),
    touchMachines: (lastSeen) => touchMachines(open(), lastSeen),
    removeMachine: (id, now, options) => removeMachine(open(), id, now, options),
    purgeMachine: (id, maxRows) => purgeMachine(open(), id, maxRows),
    setExpectedOffline: (id, mark) => setExpectedOffline(open(), id, mark),
    write(rows) {
      const acks = writeRows(open(), rows);
      checkpointer?.poke();
      return acks;
    },
    latestSamples() {
      const out = new Map();
      for (const state of open().machines.values()) {
        if (state.latest) out.set(state.row.id, { ...state.latest });
      }
      return out;
    },
    recentSamples: (machineId, limit) => recentSamples(open(), machineId, limit),
    querySeries: (machineId, query) => querySeries(open(), machineId, query),
    queryFleetSeries: (query) => queryFleet(open(), query),
    queryScatter: (query) => queryScatter(open(), query),
    openAnomaly: (event) => openAnomaly(open(), event),
    updateAnomaly: (id, patch) => updateAnomaly(open(), id, patch),
    listAnomalies: (query) => listAnomalies(open(), query),
    latestProcesses(machineId) {
      const ctx = open();
      const state = ctx.machines.get(machineId);
      return state ? ctx.processes.latest(state.idx) : undefined;
    },
    processScans(machineId, from, to) {
      const ctx = open();
      const state = ctx.machines.get(machineId);
      return state ? ctx.processes.readScans(state.idx, from, to) : [];
    },
    processesAt(machineId, t) {
      const ctx = open();
      const state = ctx.machines.get(machineId);
      return state ? processesAt(ctx.processes, state.idx, t) : undefined;
    },
    processHistory(machineId, query, tier?: Tier) {
      const ctx = open();
      const state = ctx.machines.get(machineId);
      if (!state) throw new RangeError(`No machine with id ${machineId}`);
      return processHistory(ctx.processes, state.idx, query, tier);
    },
    applyRetention(now, maxRows?: number) {
      const c = open();
      inTransaction(c, () => {
        for (const state of closeIdleMinutes(c, c.now())) persistMachine(c, state);
      });
      return applyRetention(c, now, maxRows);
    },
    checkpoint() {
      const stmt = open().db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
      // The background checkpointer may hold the checkpoint lock for a moment: retry.
      for (let attempt = 0; attempt < 100; attempt++) {
        const r = stmt.get() as { busy: number; log: number; checkpointed: number };
        if (r.busy === 0 && r.log <= 0) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      throw new Error("Cannot checkpoint the WAL: the database stayed busy for 2 s");
    },
    close() {
      if (closed) return;
      inTransaction(ctx, () => {
        for (const state of ctx.machines.values()) {
          persistMachine(ctx, state, true);
          saveLastSeen(ctx, state);
        }
      });
      closed = true;
      checkpointer?.stop();
      ctx.db.close();
    },
  };
}
