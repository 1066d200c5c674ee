/**
 * The process tables (migration 5): one `process_scans` row per machine and scan, one
 * `process_minute` and one `process_hour` row per machine and bucket, names interned in
 * `process_names`. A minute is rolled up from its scans (kept in memory while it is open) when a
 * scan of a later minute arrives, an hour from its minutes when a scan of a later hour arrives;
 * a late scan rolls its closed minute (and closed hour) again from the rows below, so every
 * rollup row can be rebuilt from the rows below it. Writes run inside the store's transaction
 * for the samples that carried the scans.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Sample } from "../../protocol/sample.ts";
import {
  addScan,
  decodeRolledProcesses,
  decodeRolledWatched,
  decodeTop,
  decodeWatched,
  encodeRolledProcesses,
  encodeRolledWatched,
  encodeTop,
  encodeWatched,
  finishRoll,
  mergeBuckets,
  type Names,
  newRoll,
  type Roll,
  type RolledBucket,
  rollScans,
  type StoredScan,
} from "./process_codec.ts";
import { bucketOf, HOUR_MS, MINUTE_MS } from "./rollup.ts";
import { textOf, tierStatements } from "./store_db.ts";
import type { TierStatements } from "./retention.ts";

export type RollupTable = "process_minute" | "process_hour";

/** The process tables of one database, with the in-memory state that speeds them up. */
export interface ProcessTables {
  readonly names: Names;
  /** Stores the scan a sample carries (inside the caller's transaction). */
  writeScan(machine: number, sample: Sample): void;
  /** Rolls up a silent machine's open minute and its hour (more scans may still join them). */
  closeIdle(machine: number): void;
  /** The newest scan of each machine. */
  latest(machine: number): StoredScan | undefined;
  readScans(machine: number, from: number, to: number): StoredScan[];
  /** The newest scan at or before `t` and the oldest after it. */
  scansAround(machine: number, t: number): { before?: StoredScan; after?: StoredScan };
  readBuckets(
    table: RollupTable,
    machine: number,
    from: number,
    to: number,
  ): (RolledBucket & { bucket: number })[];
  /**
   * Rebuilds the in-memory state from the database for these machines: at open, and after a
   * rolled-back transaction. Call it before anything else.
   */
  reload(machines: Iterable<number>): void;
  /** Drops what memory holds of a machine whose data is being deleted (nothing is written back). */
  forget(machine: number): void;
  /** How retention deletes each table's rows: the tier whose retention applies. */
  readonly retention: { tier: "raw" | "minute" | "hour"; statements: TierStatements }[];
}

interface ScanRow {
  ts: number;
  span_ms: number | null;
  top: unknown;
  watched: unknown;
  io_unreadable: number | null;
}

interface BucketRow {
  bucket: number;
  scans: number;
  span_ms: number;
  processes: unknown;
  watched: unknown;
}

const SCAN_COLUMNS =
  "ts, span_ms, CAST(top AS BLOB) AS top, CAST(watched AS BLOB) AS watched, io_unreadable";
const BUCKET_COLUMNS =
  "bucket, scans, span_ms, CAST(processes AS BLOB) AS processes, CAST(watched AS BLOB) AS watched";

function bucketStatements(db: DatabaseSync, table: RollupTable) {
  return {
    put: db.prepare(
      `INSERT INTO ${table} (machine, bucket, scans, span_ms, processes, watched)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (machine, bucket) DO UPDATE SET scans = excluded.scans,
         span_ms = excluded.span_ms, processes = excluded.processes, watched = excluded.watched`,
    ),
    range: db.prepare(
      `SELECT ${BUCKET_COLUMNS} FROM ${table} WHERE machine = ? AND bucket >= ? AND bucket <= ?
       ORDER BY bucket`,
    ),
  };
}

/** Opens the process tables of `db` (created by its migrations). */
export function openProcessTables(db: DatabaseSync): ProcessTables {
  const st = {
    allNames: db.prepare("SELECT idx, CAST(name AS BLOB) AS name FROM process_names"),
    addName: db.prepare("INSERT INTO process_names (name) VALUES (?)"),
    putScan: db.prepare(
      `INSERT OR IGNORE INTO process_scans (machine, ts, span_ms, top, watched, io_unreadable)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    scanRange: db.prepare(
      `SELECT ${SCAN_COLUMNS} FROM process_scans WHERE machine = ? AND ts >= ? AND ts <= ?
       ORDER BY ts`,
    ),
    scanBefore: db.prepare(
      `SELECT ${SCAN_COLUMNS} FROM process_scans WHERE machine = ? AND ts <= ?
       ORDER BY ts DESC LIMIT 1`,
    ),
    scanAfter: db.prepare(
      `SELECT ${SCAN_COLUMNS} FROM process_scans WHERE machine = ? AND ts > ?
       ORDER BY ts LIMIT 1`,
    ),
    newest: db.prepare(
      `SELECT ${SCAN_COLUMNS} FROM process_scans WHERE machine = ? ORDER BY ts DESC LIMIT 1`,
    ),
    minute: bucketStatements(db, "process_minute"),
    hour: bucketStatements(db, "process_hour"),
  };
  const byName = new Map<string, number>();
  const byId = new Map<number, string>();
  const latest = new Map<number, StoredScan>();
  /** Each machine's open minute (that of its newest scan), rolled up so far. */
  const open = new Map<number, { minute: number; roll: Roll }>();

  const names: Names = {
    idOf(name) {
      let id = byName.get(name);
      if (id === undefined) {
        id = Number(st.addName.run(name).lastInsertRowid);
        byName.set(name, id);
        byId.set(id, name);
      }
      return id;
    },
    nameOf(id) {
      const name = byId.get(id);
      if (name === undefined) throw new RangeError(`No process name with id ${id}`);
      return name;
    },
  };

  function scanOf(row: ScanRow): StoredScan {
    const scan: StoredScan = {
      ts: row.ts,
      spanMs: row.span_ms,
      top: decodeTop(textOf(row.top), names),
    };
    if (row.watched !== null) scan.watched = decodeWatched(textOf(row.watched), names);
    if (row.io_unreadable !== null) scan.ioUnreadable = row.io_unreadable;
    return scan;
  }

  function bucketOfRow(row: BucketRow): RolledBucket & { bucket: number } {
    return {
      bucket: row.bucket,
      scans: row.scans,
      spanMs: row.span_ms,
      processes: decodeRolledProcesses(textOf(row.processes), names),
      watched: row.watched === null ? [] : decodeRolledWatched(textOf(row.watched), names),
    };
  }

  function putBucket(
    statements: ReturnType<typeof bucketStatements>,
    machine: number,
    bucket: number,
    rolled: RolledBucket,
  ): void {
    statements.put.run(
      machine,
      bucket,
      rolled.scans,
      rolled.spanMs,
      encodeRolledProcesses(rolled.processes, names),
      rolled.watched.length > 0 ? encodeRolledWatched(rolled.watched, names) : null,
    );
  }

  /** Rolls an hour up from its minutes. */
  function rollHour(machine: number, hour: number): void {
    const minutes = readBuckets("process_minute", machine, hour, hour + HOUR_MS - 1);
    if (minutes.length > 0) putBucket(st.hour, machine, hour, mergeBuckets(minutes));
  }

  /** A late scan landed in a closed minute: roll it again, and its hour if that is closed. */
  function rollAgain(machine: number, minute: number, openMinute: number): void {
    const scans = readScans(machine, minute, minute + MINUTE_MS - 1);
    putBucket(st.minute, machine, minute, rollScans(scans));
    const hour = bucketOf(minute, HOUR_MS);
    if (hour < bucketOf(openMinute, HOUR_MS)) rollHour(machine, hour);
  }

  function readScans(machine: number, from: number, to: number): StoredScan[] {
    return (st.scanRange.all(machine, from, to) as unknown as ScanRow[]).map(scanOf);
  }

  function readBuckets(table: RollupTable, machine: number, from: number, to: number) {
    const statements = table === "process_minute" ? st.minute : st.hour;
    return (statements.range.all(machine, from, to) as unknown as BucketRow[]).map(bucketOfRow);
  }

  function reload(machines: Iterable<number>): void {
    byName.clear();
    byId.clear();
    for (const row of st.allNames.all() as { idx: number; name: unknown }[]) {
      const name = textOf(row.name);
      byName.set(name, row.idx);
      byId.set(row.idx, name);
    }
    latest.clear();
    open.clear();
    for (const machine of machines) {
      const row = st.newest.get(machine) as unknown as ScanRow | undefined;
      if (row === undefined) continue;
      latest.set(machine, scanOf(row));
      const minute = bucketOf(row.ts, MINUTE_MS);
      const roll = newRoll();
      for (const scan of readScans(machine, minute, minute + MINUTE_MS - 1)) addScan(roll, scan);
      open.set(machine, { minute, roll });
    }
  }

  function writeScan(machine: number, sample: Sample): void {
    const report = sample.processes;
    if (report === undefined) return;
    const inserted = st.putScan.run(
      machine,
      sample.ts,
      report.spanMs,
      encodeTop(report.top, names),
      report.watched ? encodeWatched(report.watched, names) : null,
      report.ioUnreadable ?? null,
    );
    if (inserted.changes === 0) return;
    const scan: StoredScan = { ts: sample.ts, spanMs: report.spanMs, top: report.top };
    if (report.watched) scan.watched = report.watched;
    if (report.ioUnreadable !== undefined) scan.ioUnreadable = report.ioUnreadable;
    const newest = latest.get(machine);
    if (newest === undefined || sample.ts >= newest.ts) latest.set(machine, scan);
    const minute = bucketOf(sample.ts, MINUTE_MS);
    const current = open.get(machine);
    if (current === undefined || minute > current.minute) {
      if (current !== undefined) {
        putBucket(st.minute, machine, current.minute, finishRoll(current.roll));
        const hour = bucketOf(current.minute, HOUR_MS);
        if (hour < bucketOf(minute, HOUR_MS)) rollHour(machine, hour);
      }
      const roll = newRoll();
      addScan(roll, scan);
      open.set(machine, { minute, roll });
    } else if (minute === current.minute) {
      addScan(current.roll, scan);
    } else {
      rollAgain(machine, minute, current.minute);
    }
  }

  return {
    names,
    writeScan,
    closeIdle(machine) {
      const current = open.get(machine);
      if (current === undefined) return;
      putBucket(st.minute, machine, current.minute, finishRoll(current.roll));
      rollHour(machine, bucketOf(current.minute, HOUR_MS));
    },
    latest: (machine) => latest.get(machine),
    readScans,
    scansAround(machine, t) {
      const before = st.scanBefore.get(machine, t) as unknown as ScanRow | undefined;
      const after = st.scanAfter.get(machine, t) as unknown as ScanRow | undefined;
      return {
        before: before ? scanOf(before) : undefined,
        after: after ? scanOf(after) : undefined,
      };
    },
    readBuckets,
    reload,
    forget(machine) {
      latest.delete(machine);
      open.delete(machine);
    },
    retention: [
      { tier: "raw", statements: tierStatements(db, "process_scans", "ts") },
      { tier: "minute", statements: tierStatements(db, "process_minute", "bucket") },
      { tier: "hour", statements: tierStatements(db, "process_hour", "bucket") },
    ],
  };
}
