/**
 * Numbered schema migrations. `PRAGMA user_version` holds the number of the last one applied;
 * each runs in its own transaction, in order, so an old database is brought up to date on open.
 * Never edit a migration that has shipped: add the next one.
 *
 * A column named `machine` always holds `machines.idx`: deleting a removed machine's data
 * (machine_removal.ts) empties every table that has one, whichever migration added it.
 */
import type { DatabaseSync } from "node:sqlite";

/** One schema step. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "machines, series catalogue, raw samples, minute and hour rollups",
    sql: `
      CREATE TABLE machines (
        idx INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        hostname TEXT NOT NULL,
        os TEXT NOT NULL,
        os_name TEXT,
        kernel TEXT,
        arch TEXT NOT NULL,
        cores INTEGER NOT NULL,
        mem_total INTEGER NOT NULL,
        agent_version TEXT NOT NULL,
        interval_ms INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT -1,
        open_minute INTEGER,
        minute_floor INTEGER NOT NULL DEFAULT 0
      );
      -- The newest sample of each machine as sent (JSON), apart so that the small, hot machine
      -- rows stay small.
      CREATE TABLE machine_latest (
        machine INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        sample TEXT NOT NULL,
        verdict TEXT
      );
      -- Metric keys ('cpu.usage', 'disk:vda:readBps') as small integers.
      CREATE TABLE series (idx INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
      -- The ordered list of series a raw row's value blob holds (JSON array of series idx).
      CREATE TABLE layouts (idx INTEGER PRIMARY KEY, series TEXT NOT NULL UNIQUE);
      CREATE TABLE raw (
        machine INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        recv_delta INTEGER NOT NULL,
        flags INTEGER NOT NULL,
        reason TEXT,
        layout INTEGER NOT NULL,
        vals BLOB NOT NULL,
        PRIMARY KEY (machine, ts, seq)
      ) WITHOUT ROWID;
      -- Sequence numbers of rows stored with a clamped time (clock skew), so a replay of them,
      -- clamped to another time, is still recognised as a duplicate.
      CREATE TABLE raw_skewed (
        machine INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (machine, seq)
      );
      -- One row per machine and minute (hour): for each series of the layout, in order,
      -- count, min, max and sum (see rollup_codec.ts). Rowid tables: their rows (1-3 KB) fit
      -- in a page, where a WITHOUT ROWID row over ~1 KB spills into an overflow page.
      CREATE TABLE rollup_minute (
        machine INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        layout INTEGER NOT NULL,
        aggs BLOB NOT NULL,
        UNIQUE (machine, bucket)
      );
      CREATE TABLE rollup_hour (
        machine INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        layout INTEGER NOT NULL,
        aggs BLOB NOT NULL,
        UNIQUE (machine, bucket)
      );
    `,
  },
  {
    version: 2,
    name: "anomaly events",
    sql: `
      CREATE TABLE anomalies (
        id INTEGER PRIMARY KEY,
        machine INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER,
        peak_score REAL NOT NULL,
        reason TEXT NOT NULL,
        causes TEXT NOT NULL
      );
      CREATE INDEX anomalies_start ON anomalies (start);
      CREATE INDEX anomalies_machine_start ON anomalies (machine, start);
    `,
  },
  {
    version: 3,
    name: "fleet-wide per-minute aggregates",
    sql: `
      -- One row per minute for the whole fleet: CPU and memory sum/count/max over samples,
      -- and network/disk rates as the sum over machines of each machine's minute average.
      CREATE TABLE fleet_minute (
        bucket INTEGER PRIMARY KEY,
        cpu_sum REAL NOT NULL, cpu_count INTEGER NOT NULL, cpu_max REAL,
        mem_sum REAL NOT NULL, mem_count INTEGER NOT NULL, mem_max REAL,
        net_rx REAL NOT NULL, net_tx REAL NOT NULL,
        disk_read REAL NOT NULL, disk_write REAL NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "why an anomaly event closed",
    sql: `
      -- 'recovered', 'offline' or 'restarted'; NULL while open (and for events closed earlier).
      ALTER TABLE anomalies ADD COLUMN close_reason TEXT;
    `,
  },
  {
    version: 5,
    name: "process scans and their minute and hour rollups",
    sql: `
      -- Process names (comm), each stored once.
      CREATE TABLE process_names (idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      -- One row per machine and process scan: its top processes and watched names as
      -- positional JSON arrays (see process_codec.ts), not one row per process.
      CREATE TABLE process_scans (
        machine INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        span_ms INTEGER,
        top TEXT NOT NULL,
        watched TEXT,
        io_unreadable INTEGER,
        UNIQUE (machine, ts)
      );
      -- Per machine and minute (hour): how many scans, the time they measured, and each top
      -- process's CPU sum and maximum, memory maximum and bytes read and written.
      CREATE TABLE process_minute (
        machine INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        scans INTEGER NOT NULL,
        span_ms INTEGER NOT NULL,
        processes TEXT NOT NULL,
        watched TEXT,
        UNIQUE (machine, bucket)
      );
      CREATE TABLE process_hour (
        machine INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        scans INTEGER NOT NULL,
        span_ms INTEGER NOT NULL,
        processes TEXT NOT NULL,
        watched TEXT,
        UNIQUE (machine, bucket)
      );
    `,
  },
  {
    version: 6,
    name: "removed machines and expected-offline marks",
    sql: `
      -- When a person removed the machine from the fleet (NULL while it is in it); purge = 1
      -- while its data is being deleted, the row itself last. A removed machine whose data was
      -- kept comes back when it connects again.
      ALTER TABLE machines ADD COLUMN removed_at INTEGER;
      ALTER TABLE machines ADD COLUMN purge INTEGER NOT NULL DEFAULT 0;
      -- A person's word that the machine is expected to be offline (no offline alert): since
      -- when, until when (NULL: until lifted) and why.
      ALTER TABLE machines ADD COLUMN expected_offline_since INTEGER;
      ALTER TABLE machines ADD COLUMN expected_offline_until INTEGER;
      ALTER TABLE machines ADD COLUMN expected_offline_note TEXT;
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Reads `PRAGMA user_version`. */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
}

/**
 * Applies every migration above the database's version, up to `target` (default: all).
 * Returns the versions applied. Throws a RangeError for a database newer than this build.
 */
export function migrate(db: DatabaseSync, target: number = SCHEMA_VERSION): number[] {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new RangeError(
      `Database schema version ${current} is newer than this gridmon understands (${SCHEMA_VERSION}); upgrade gridmon`,
    );
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw new Error(`Migration ${m.version} (${m.name}) failed: ${String(error)}`, {
        cause: error,
      });
    }
    applied.push(m.version);
  }
  return applied;
}
