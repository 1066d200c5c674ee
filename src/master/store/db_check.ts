/**
 * The database file is checked before the store opens it: an empty file is not a database, and
 * a damaged one (SQLite's quick_check) is either refused or, when asked, set aside so a new one
 * starts. Either way the message names the file and what to do.
 */
import { DatabaseSync } from "node:sqlite";

/** What to do with a damaged or empty database file at start (`--on-damaged-db`). */
export type DamagedDbPolicy = "refuse" | "set-aside";

/** The file is damaged and the policy is to refuse. */
export class DamagedDatabaseError extends Error {
  override name = "DamagedDatabaseError";
}

export interface DbCheckResult {
  /** Where the damaged file (and its -wal, -shm) went, when it was set aside. */
  setAsideTo?: string;
}

function sizeOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** SQLite's verdict on the file: "ok", or what is wrong. */
export function quickCheck(path: string): string {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 5000");
    const rows = db.prepare("PRAGMA quick_check(5)").all() as Record<string, unknown>[];
    const lines = rows.map((row) => String(Object.values(row)[0]));
    return lines.length === 1 && lines[0] === "ok" ? "ok" : lines.join("; ");
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    db?.close();
  }
}

function stamp(now: number): string {
  return new Date(now).toISOString().replaceAll(":", "").replace(/\.\d+Z$/, "Z");
}

/**
 * Checks `path` (a missing file is fine: a new database starts). An empty or damaged file is
 * refused with DamagedDatabaseError, or with `set-aside` renamed to `<path>.damaged-<time>`.
 */
export function checkDatabaseFile(
  path: string,
  policy: DamagedDbPolicy,
  now: () => number = Date.now,
): DbCheckResult {
  const size = sizeOf(path);
  if (size === undefined) return {};
  const verdict = size === 0 ? "empty" : quickCheck(path);
  if (verdict === "ok") return {};
  const problem = verdict === "empty"
    ? "it is empty (0 bytes), so it is not a gridmon database"
    : `SQLite's quick_check fails: ${verdict}`;
  const aside = `${path}.damaged-${stamp(now())}`;
  if (policy === "refuse") {
    throw new DamagedDatabaseError(
      `database ${path}: ${problem}. Nothing was changed. To keep it for inspection and start a ` +
        `new database, run again with --on-damaged-db set-aside (renames it to ${path}.damaged-<time>), ` +
        `or put back a backup of ${path}`,
    );
  }
  for (const suffix of ["", "-wal", "-shm"]) {
    if (sizeOf(path + suffix) !== undefined) Deno.renameSync(path + suffix, aside + suffix);
  }
  return { setAsideTo: aside };
}
