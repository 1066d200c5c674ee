/**
 * Alert history and delivery outcomes in the master's SQLite database (tables prefixed `alert_`),
 * plus silences added at run time from the UI or the API.
 */
import type { DatabaseSync } from "node:sqlite";
import type { AlertNotice, AlertState, CloseReason } from "./engine.ts";
import type { DeliveryAttempt } from "./delivery.ts";
import { globToRegExp, type SilenceConfig } from "./rules.ts";

/** An alert as stored: its state when last recorded, with its row id and delivery outcomes. */
export interface AlertRecord extends Omit<AlertState, "since" | "notifiedAt" | "firedAt"> {
  id: number;
  /** Sample time the condition had held long enough (the alert's own time, however late found). */
  firedAt: number;
  /** The newest delivery outcome per notifier. */
  deliveries: {
    notifier: string;
    ok: boolean;
    attempt: number;
    final: boolean;
    error: string | null;
    at: number;
  }[];
}

export interface RuntimeSilence {
  id: number;
  rule: string;
  machines: string | null;
  until: number;
  createdAt: number;
  comment: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_history (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  rule TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  machine_id TEXT NOT NULL,
  machine_name TEXT NOT NULL,
  device TEXT,
  metric TEXT,
  value REAL,
  threshold REAL,
  op TEXT,
  message TEXT NOT NULL,
  fired_at INTEGER NOT NULL,
  resolved_at INTEGER,
  silenced INTEGER NOT NULL DEFAULT 0,
  UNIQUE (key, fired_at)
);
CREATE INDEX IF NOT EXISTS alert_history_fired ON alert_history (fired_at);
CREATE INDEX IF NOT EXISTS alert_history_open ON alert_history (resolved_at) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS alert_history_machine ON alert_history (machine_id);
CREATE TABLE IF NOT EXISTS alert_delivery (
  alert_id INTEGER NOT NULL,
  notifier TEXT NOT NULL,
  ok INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  final INTEGER NOT NULL,
  error TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (alert_id, notifier)
);
CREATE TABLE IF NOT EXISTS alert_silence (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  machines TEXT,
  until INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  comment TEXT
);
`;

interface HistoryRow {
  id: number;
  key: string;
  rule: string;
  kind: string;
  severity: string;
  machine_id: string;
  machine_name: string;
  device: string | null;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  op: string | null;
  message: string;
  fired_at: number;
  resolved_at: number | null;
  close_reason: string | null;
  found_late: number;
  detected_at: number | null;
  cause: string | null;
  silenced: number;
}

/** Columns added after the first release, for databases that predate them. */
const ADDED_COLUMNS = [
  ["close_reason", "TEXT"],
  ["found_late", "INTEGER NOT NULL DEFAULT 0"],
  ["detected_at", "INTEGER"],
  ["cause", "TEXT"],
] as const;

function addMissingColumns(db: DatabaseSync): void {
  const have = new Set(
    (db.prepare("PRAGMA table_info(alert_history)").all() as { name: string }[]).map((c) => c.name),
  );
  for (const [name, type] of ADDED_COLUMNS) {
    if (!have.has(name)) db.exec(`ALTER TABLE alert_history ADD COLUMN ${name} ${type}`);
  }
}

export class AlertHistory {
  readonly #db: DatabaseSync;
  readonly #upsert;
  readonly #resolve;
  readonly #idOf;
  readonly #delivery;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    addMissingColumns(db);
    this.#upsert = db.prepare(
      `INSERT INTO alert_history (key, rule, kind, severity, machine_id, machine_name, device, metric,
         value, threshold, op, message, fired_at, silenced, found_late, detected_at, cause)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key, fired_at) DO UPDATE SET value = excluded.value, message = excluded.message,
         silenced = excluded.silenced, machine_name = excluded.machine_name,
         cause = excluded.cause`,
    );
    this.#resolve = db.prepare(
      `UPDATE alert_history SET resolved_at = ?, value = ?, message = ?, close_reason = ?
       WHERE key = ? AND fired_at = ?`,
    );
    this.#idOf = db.prepare(`SELECT id FROM alert_history WHERE key = ? AND fired_at = ?`);
    this.#delivery = db.prepare(
      `INSERT INTO alert_delivery (alert_id, notifier, ok, attempt, final, error, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (alert_id, notifier) DO UPDATE SET ok = excluded.ok, attempt = excluded.attempt,
         final = excluded.final, error = excluded.error, at = excluded.at`,
    );
  }

  /** Records a fired, repeated or resolved alert. */
  record(notice: AlertNotice): void {
    const a = notice.alert;
    if (a.firedAt === null) return;
    if (a.resolvedAt !== null) {
      this.#resolve.run(a.resolvedAt, a.value, a.message, a.closeReason, a.key, a.firedAt);
      return;
    }
    this.#upsert.run(
      a.key,
      a.rule,
      a.kind,
      a.severity,
      a.machineId,
      a.machineName,
      a.device,
      a.metric,
      a.value,
      a.threshold,
      a.op,
      a.message,
      a.firedAt,
      a.silenced ? 1 : 0,
      a.foundLate ? 1 : 0,
      a.detectedAt,
      a.cause,
    );
  }

  /** Records the outcome of one delivery attempt. */
  recordDelivery(attempt: DeliveryAttempt): void {
    if (attempt.firedAt === null) return;
    const row = this.#idOf.get(attempt.alertKey, attempt.firedAt) as { id: number } | undefined;
    if (!row) return;
    this.#delivery.run(
      row.id,
      attempt.notifier,
      attempt.ok ? 1 : 0,
      attempt.attempt,
      attempt.final ? 1 : 0,
      attempt.error,
      attempt.at,
    );
  }

  /** Alerts fired in [from, to], newest first, optionally for one machine. */
  list(query: { from: number; to: number; machineId?: string; limit?: number }): AlertRecord[] {
    const rows = this.#db.prepare(
      `SELECT * FROM alert_history WHERE fired_at <= ? AND (resolved_at IS NULL OR resolved_at >= ?)
         AND (? IS NULL OR machine_id = ?) ORDER BY fired_at DESC LIMIT ?`,
    ).all(
      query.to,
      query.from,
      query.machineId ?? null,
      query.machineId ?? null,
      query.limit ?? 500,
    ) as unknown as HistoryRow[];
    return rows.map((row) => this.#toRecord(row));
  }

  /** Alerts still firing (not resolved), for restoring the engine after a restart. */
  open(): AlertState[] {
    const rows = this.#db.prepare(`SELECT * FROM alert_history WHERE resolved_at IS NULL`)
      .all() as unknown as HistoryRow[];
    return rows.map((row) => ({
      key: row.key,
      rule: row.rule,
      kind: row.kind as AlertState["kind"],
      severity: row.severity as AlertState["severity"],
      machineId: row.machine_id,
      machineName: row.machine_name,
      device: row.device,
      metric: row.metric,
      value: row.value,
      threshold: row.threshold,
      op: row.op as AlertState["op"],
      cause: row.cause,
      since: row.fired_at,
      firedAt: row.fired_at,
      // Found late and not yet told: it stays untold (the next current sample tells it).
      notifiedAt: row.silenced || row.found_late ? null : (row.detected_at ?? row.fired_at),
      resolvedAt: null,
      closeReason: null,
      foundLate: row.found_late === 1,
      detectedAt: row.detected_at,
      silenced: row.silenced === 1,
      message: row.message,
    }));
  }

  /**
   * Deletes up to `maxRows` alerts of a machine (a removed machine's data) with their delivery
   * outcomes, in one short transaction. Returns how many alerts were deleted.
   */
  deleteMachine(machineId: string, maxRows: number): number {
    const ids = this.#db.prepare(`SELECT id FROM alert_history WHERE machine_id = ? LIMIT ?`)
      .all(machineId, maxRows) as { id: number }[];
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids.map((r) => r.id));
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      this.#db.prepare(
        `DELETE FROM alert_delivery WHERE alert_id IN (SELECT value FROM json_each(?))`,
      )
        .run(list);
      this.#db.prepare(`DELETE FROM alert_history WHERE id IN (SELECT value FROM json_each(?))`)
        .run(list);
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
    return ids.length;
  }

  /** Closes alerts left open whose rule no longer exists (the rules file changed). */
  resolveOrphans(ruleNames: Set<string>, now: number): void {
    for (const state of this.open()) {
      if (!ruleNames.has(state.rule)) {
        this.#resolve.run(
          now,
          state.value,
          `${state.message} (rule removed)`,
          "rule removed",
          state.key,
          state.firedAt,
        );
      }
    }
  }

  addSilence(
    silence: { rule: string; machines: string | null; until: number; comment: string | null },
    now: number,
  ): RuntimeSilence {
    const result = this.#db.prepare(
      `INSERT INTO alert_silence (rule, machines, until, created_at, comment) VALUES (?, ?, ?, ?, ?)`,
    ).run(silence.rule, silence.machines, silence.until, now, silence.comment);
    return { id: Number(result.lastInsertRowid), ...silence, createdAt: now };
  }

  removeSilence(id: number): boolean {
    return Number(this.#db.prepare(`DELETE FROM alert_silence WHERE id = ?`).run(id).changes) > 0;
  }

  /** Run-time silences that have not ended. */
  silences(now: number): RuntimeSilence[] {
    return (this.#db.prepare(
      `SELECT id, rule, machines, until, created_at AS createdAt, comment FROM alert_silence WHERE until > ? ORDER BY until`,
    ).all(now) as unknown as RuntimeSilence[]).map((s) => ({ ...s }));
  }

  /** Run-time silences as the engine's SilenceConfig. */
  silenceConfigs(now: number): SilenceConfig[] {
    return this.silences(now).map((s) => ({
      rule: s.rule,
      machines: s.machines ? globToRegExp(s.machines) : null,
      machinesGlob: s.machines,
      from: s.createdAt,
      until: s.until,
      daily: null,
      comment: s.comment ?? undefined,
    }));
  }

  #toRecord(row: HistoryRow): AlertRecord {
    const deliveries = this.#db.prepare(
      `SELECT notifier, ok, attempt, final, error, at FROM alert_delivery WHERE alert_id = ? ORDER BY notifier`,
    ).all(row.id) as unknown as {
      notifier: string;
      ok: number;
      attempt: number;
      final: number;
      error: string | null;
      at: number;
    }[];
    return {
      id: row.id,
      key: row.key,
      rule: row.rule,
      kind: row.kind as AlertState["kind"],
      severity: row.severity as AlertState["severity"],
      machineId: row.machine_id,
      machineName: row.machine_name,
      device: row.device,
      metric: row.metric,
      value: row.value,
      threshold: row.threshold,
      op: row.op as AlertState["op"],
      cause: row.cause,
      message: row.message,
      firedAt: row.fired_at,
      resolvedAt: row.resolved_at,
      closeReason: row.close_reason as CloseReason | null,
      foundLate: row.found_late === 1,
      detectedAt: row.detected_at,
      silenced: row.silenced === 1,
      deliveries: deliveries.map((d) => ({ ...d, ok: d.ok === 1, final: d.final === 1 })),
    };
  }
}
