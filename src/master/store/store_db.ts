/**
 * Opens the SQLite file and prepares every statement the store runs. All SQL is here, and every
 * value goes in through bound parameters.
 *
 * Durability: WAL with synchronous=NORMAL. A commit appends to the WAL with write(2) before
 * `COMMIT` returns, so a committed (and therefore acknowledged) transaction survives the process
 * being killed (kill -9, OOM, crash): the OS still holds and later writes those pages. The WAL is
 * fsync'ed only at checkpoints, so an OS crash or power cut can lose the last transactions
 * (never corrupt the file); FULL would fsync on every commit and cost ingest throughput.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { migrate } from "./migrations.ts";
import type { TierStatements } from "./retention.ts";

/** Opens (creating if needed) and migrates the database at `path`. */
export function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA temp_store = MEMORY");
    db.exec("PRAGMA cache_size = -32768");
    // Checkpoint every ~32 MB of WAL rather than 4 MB: a page hot in many flushes (each
    // machine's newest raw page) is copied back once per checkpoint, not once per flush.
    db.exec("PRAGMA wal_autocheckpoint = 8000");
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Deletes up to ?3 of the oldest rows of one machine older than ?2 (fewer when rows share the
 * boundary time).
 */
const CHUNK_DELETE = (table: string, col: string) =>
  `DELETE FROM ${table} WHERE machine = ?1 AND ${col} < ?2 AND ${col} < coalesce(
     (SELECT ${col} FROM ${table} WHERE machine = ?1 AND ${col} < ?2
      ORDER BY ${col} LIMIT 1 OFFSET ?3), ?2)`;
const OLDEST_DELETE = (table: string, col: string) =>
  `DELETE FROM ${table} WHERE machine = ?1 AND ${col} = (SELECT min(${col}) FROM ${table}
     WHERE machine = ?1) AND ${col} < ?2`;
const HAS_EXPIRED = (table: string, col: string) =>
  `SELECT 1 AS x FROM ${table} WHERE machine = ?1 AND ${col} < ?2 LIMIT 1`;

/** The retention statements of a per-machine table with a time column (see retention.ts). */
export function tierStatements(db: DatabaseSync, table: string, col: string): TierStatements {
  return {
    chunk: db.prepare(CHUNK_DELETE(table, col)),
    oldest: db.prepare(OLDEST_DELETE(table, col)),
    hasExpired: db.prepare(HAS_EXPIRED(table, col)),
  };
}

/**
 * Text columns holding machine-supplied strings are read as BLOBs: node:sqlite binds a string
 * whole but reads TEXT only up to a NUL character. `textOf` turns them back into strings.
 */
function blobs(...columns: string[]): string {
  return columns.map((c) => `CAST(${c} AS BLOB) AS ${c}`).join(", ");
}

const ANOMALY_COLUMNS = `id, machine, start, end, peak_score, close_reason, ${
  blobs("reason", "causes")
}`;

const utf8 = new TextDecoder();

/** A text column read with `blobs()` (a BLOB, or null) as a string. */
export function textOf(value: unknown): string {
  if (value instanceof Uint8Array) return utf8.decode(value);
  if (typeof value === "string") return value;
  throw new TypeError(`Expected a text column, got ${value === null ? "null" : typeof value}`);
}

/** Like `textOf`, keeping null. */
export function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : textOf(value);
}

function statementTexts() {
  return {
    insertMachine: `INSERT INTO machines (id, name, hostname, os, os_name, kernel, arch, cores,
        mem_total, agent_version, interval_ms, first_seen, last_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    updateMachineInfo: `UPDATE machines SET name = ?, hostname = ?, os = ?, os_name = ?,
        kernel = ?, arch = ?, cores = ?, mem_total = ?, agent_version = ?, interval_ms = ?,
        last_seen = ?, removed_at = NULL WHERE idx = ?`,
    saveLatest: `INSERT OR REPLACE INTO machine_latest (machine, ts, sample, verdict)
      VALUES (?, ?, ?, ?)`,
    allLatest: `SELECT machine, ts, sample, verdict FROM machine_latest`,
    updateMachineBuckets: `UPDATE machines SET last_seq = ?, open_minute = ?, minute_floor = ?
        WHERE idx = ?`,
    touchMachine: `UPDATE machines SET last_seen = max(last_seen, ?) WHERE idx = ?`,
    allMachines: `SELECT idx, ${
      blobs(
        "id",
        "name",
        "hostname",
        "os",
        "os_name",
        "kernel",
        "arch",
        "agent_version",
        "expected_offline_note",
      )
    }, cores, mem_total, interval_ms, first_seen, last_seen, last_seq, open_minute, minute_floor,
      removed_at, purge, expected_offline_since, expected_offline_until
      FROM machines ORDER BY idx`,
    allSeries: `SELECT idx, ${blobs("key")} FROM series`,
    insertSeries: `INSERT INTO series (key) VALUES (?)`,
    allLayouts: `SELECT idx, series FROM layouts`,
    insertLayout: `INSERT INTO layouts (series) VALUES (?)`,
    insertRaw: `INSERT OR IGNORE INTO raw (machine, ts, seq, recv_delta, flags, reason, layout,
        vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    rawRangeArrays: `SELECT ts, layout, vals FROM raw WHERE machine = ? AND ts >= ? AND ts <= ?`,
    rawRangeFrom: `SELECT ts, layout, vals FROM raw WHERE machine = ? AND ts >= ? AND ts < ?`,
    rawNewest: `SELECT ts, seq, flags, layout, vals FROM raw WHERE machine = ? AND ts >= ?
        AND ts <= ? ORDER BY ts DESC LIMIT ?`,
    rawRecent: `SELECT ts, seq, layout, vals FROM raw WHERE machine = ?
        ORDER BY ts DESC, seq DESC LIMIT ?`,
    rawHas: `SELECT 1 AS x FROM raw WHERE machine = ? AND ts = ? AND seq = ?`,
    skewedHas: `SELECT 1 AS x FROM raw_skewed WHERE machine = ? AND seq = ?`,
    insertSkewed: `INSERT OR IGNORE INTO raw_skewed (machine, seq, ts) VALUES (?, ?, ?)`,
    skewedChunkDelete: `DELETE FROM raw_skewed WHERE rowid IN (SELECT rowid FROM raw_skewed
        WHERE ts < ? LIMIT ?)`,
    rawNewestOne: `SELECT ts, seq, flags, ${
      blobs("reason")
    }, layout, vals FROM raw WHERE machine = ?
        ORDER BY ts DESC, seq DESC LIMIT 1`,
    rawExists: `SELECT 1 AS x FROM raw WHERE machine = ? AND ts >= ? AND ts <= ? LIMIT 1`,
    getMinute: `SELECT layout, aggs FROM rollup_minute WHERE machine = ? AND bucket = ?`,
    putMinute: `INSERT OR REPLACE INTO rollup_minute (machine, bucket, layout, aggs)
      VALUES (?, ?, ?, ?)`,
    getHour: `SELECT layout, aggs FROM rollup_hour WHERE machine = ? AND bucket = ?`,
    putHour: `INSERT OR REPLACE INTO rollup_hour (machine, bucket, layout, aggs)
      VALUES (?, ?, ?, ?)`,
    minuteExists: `SELECT 1 AS x FROM rollup_minute WHERE machine = ? AND bucket >= ?
        AND bucket <= ? LIMIT 1`,
    hourExists: `SELECT 1 AS x FROM rollup_hour WHERE machine = ? AND bucket >= ?
        AND bucket <= ? LIMIT 1`,
    minuteRange: `SELECT bucket, layout, aggs FROM rollup_minute WHERE machine = ?
        AND bucket >= ? AND bucket <= ?`,
    hourRange: `SELECT bucket, layout, aggs FROM rollup_hour WHERE machine = ?
        AND bucket >= ? AND bucket <= ?`,
    upsertFleet: `INSERT INTO fleet_minute (bucket, cpu_sum, cpu_count, cpu_max, mem_sum,
        mem_count, mem_max, net_rx, net_tx, disk_read, disk_write)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (bucket) DO UPDATE SET
        cpu_sum = cpu_sum + excluded.cpu_sum, cpu_count = cpu_count + excluded.cpu_count,
        cpu_max = max(coalesce(cpu_max, excluded.cpu_max), coalesce(excluded.cpu_max, cpu_max)),
        mem_sum = mem_sum + excluded.mem_sum, mem_count = mem_count + excluded.mem_count,
        mem_max = max(coalesce(mem_max, excluded.mem_max), coalesce(excluded.mem_max, mem_max)),
        net_rx = net_rx + excluded.net_rx, net_tx = net_tx + excluded.net_tx,
        disk_read = disk_read + excluded.disk_read, disk_write = disk_write + excluded.disk_write`,
    fleetAt: `SELECT cpu_sum, cpu_count, cpu_max, mem_sum, mem_count, mem_max, net_rx, net_tx,
        disk_read, disk_write FROM fleet_minute WHERE bucket = ?`,
    fleetGrouped: `SELECT CAST(bucket - ?1 AS INTEGER) / CAST(?2 AS INTEGER) AS bi,
        sum(cpu_sum) AS cpu_sum, sum(cpu_count) AS cpu_count, max(cpu_max) AS cpu_max,
        sum(mem_sum) AS mem_sum, sum(mem_count) AS mem_count, max(mem_max) AS mem_max,
        sum(net_rx) AS net_rx, sum(net_tx) AS net_tx, sum(disk_read) AS disk_read,
        sum(disk_write) AS disk_write, count(*) AS minutes
      FROM fleet_minute
      WHERE bucket >= ?3 AND bucket <= ?4 AND bucket NOT IN (SELECT value FROM json_each(?5))
      GROUP BY bi`,
    deleteFleet: `DELETE FROM fleet_minute WHERE bucket IN (SELECT bucket FROM fleet_minute
        WHERE bucket < ? ORDER BY bucket LIMIT ?)`,
    insertAnomaly: `INSERT INTO anomalies (machine, start, end, peak_score, reason, causes,
      close_reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    getAnomaly: `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE id = ?`,
    updateAnomaly: `UPDATE anomalies SET start = ?, end = ?, peak_score = ?, reason = ?,
        causes = ?, close_reason = ? WHERE id = ?`,
    listAnomalies:
      `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE start <= ?1 AND (end IS NULL OR end >= ?2)
        ORDER BY start DESC, id DESC LIMIT ?3`,
    listAnomaliesOf: `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE machine = ?4 AND start <= ?1
        AND (end IS NULL OR end >= ?2) ORDER BY start DESC, id DESC LIMIT ?3`,
    deleteAnomalies: `DELETE FROM anomalies WHERE id IN (SELECT id FROM anomalies
        WHERE end IS NOT NULL AND end < ? LIMIT ?)`,
    rawChunkDelete: CHUNK_DELETE("raw", "ts"),
    rawOldestDelete: OLDEST_DELETE("raw", "ts"),
    rawHasExpired: HAS_EXPIRED("raw", "ts"),
    minuteChunkDelete: CHUNK_DELETE("rollup_minute", "bucket"),
    minuteOldestDelete: OLDEST_DELETE("rollup_minute", "bucket"),
    minuteHasExpired: HAS_EXPIRED("rollup_minute", "bucket"),
    hourChunkDelete: CHUNK_DELETE("rollup_hour", "bucket"),
    hourOldestDelete: OLDEST_DELETE("rollup_hour", "bucket"),
    hourHasExpired: HAS_EXPIRED("rollup_hour", "bucket"),
  };
}

/** Every prepared statement, by name. */
export type Statements = Record<keyof ReturnType<typeof statementTexts>, StatementSync>;

/** Prepares every statement once; names ending in `Arrays` return rows as arrays. */
export function prepareStatements(db: DatabaseSync): Statements {
  const out: Partial<Statements> = {};
  for (const [name, sql] of Object.entries(statementTexts())) {
    const stmt = db.prepare(sql);
    if (name.endsWith("Arrays")) {
      // In node:sqlite since Node 24; not yet in the bundled types.
      (stmt as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
    }
    out[name as keyof Statements] = stmt;
  }
  return out as Statements;
}
