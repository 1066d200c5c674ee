import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMasterArgs } from "../../src/cli/master_args.ts";
import { DataDirInUseError, lockDataDir } from "../../src/master/data_dir_lock.ts";
import { masterPermissionFlags } from "../../src/master/permissions.ts";
import { checkDatabaseFile, DamagedDatabaseError } from "../../src/master/store/db_check.ts";
import { openStore } from "../../src/master/store/sqlite_store.ts";
import { loadOrCreateToken } from "../../src/master/tokens.ts";
import { freePort, spawnMasterChild } from "./master_process.ts";
import { machineInfo, RETENTION, rowOf, simpleSample } from "./store/store_fixtures.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "data-dir-test-join-token-0123";

/** Runs `gridmon master` on `dataDir` to its end (it must refuse to start). */
async function masterRefusal(dataDir: string, extra: string[] = []) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...masterPermissionFlags({ dataDir, localWorker: false }),
      join(REPO_ROOT, "main.ts"),
      "master",
      "--data",
      dataDir,
      "--bind",
      "127.0.0.1",
      "--port",
      String(freePort()),
      "--token",
      TOKEN,
      "--no-local-worker",
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** A real database of one machine with `n` samples, closed. */
function writeDatabase(path: string, n: number): void {
  const store = openStore({ path, retention: RETENTION, backgroundCheckpoint: false });
  store.registerMachine(machineInfo("m"), Date.now());
  const t0 = Date.now() - n * 1000;
  store.write(Array.from({ length: n }, (_, i) => rowOf(simpleSample("m", t0 + i * 1000, i, i))));
  store.checkpoint();
  store.close();
}

Deno.test("a second lock on a data directory fails and names the holder; release frees it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = lockDataDir(dir, () => Date.UTC(2026, 0, 1));
    assert.throws(
      () => lockDataDir(dir),
      (error: Error) =>
        error instanceof DataDirInUseError &&
        error.message.includes(`gridmon master pid ${Deno.pid} on ${Deno.hostname()}`) &&
        error.message.includes("2026-01-01T00:00:00.000Z") && error.message.includes(dir),
    );
    first.release();
    lockDataDir(dir).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second master on the same data directory exits 1 naming the first one's pid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_lock_" });
  const first = await spawnMasterChild({ dataDir: dir, port: freePort(), token: TOKEN });
  try {
    const second = await masterRefusal(dir);
    assert.equal(second.code, 1, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`is in use by gridmon master pid ${first.child.pid} on `),
    );
  } finally {
    first.child.kill("SIGTERM");
    await first.done;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a 0-byte database is refused, not treated as new", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/gridmon.db`, new Uint8Array());
    const run = await masterRefusal(dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /gridmon\.db: it is empty \(0 bytes\)/);
    assert.match(run.stderr, /--on-damaged-db set-aside/);
    assert.equal((await Deno.stat(`${dir}/gridmon.db`)).size, 0, "left as it was");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("32 KB of garbage in the middle of the database: refused with the file and what to do", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/gridmon.db`;
    writeDatabase(path, 3000);
    const size = (await Deno.stat(path)).size;
    assert.ok(size > 256 * 1024, `database of ${size} bytes`);
    const file = await Deno.open(path, { write: true });
    await file.seek(Math.floor(size / 2 / 4096) * 4096, Deno.SeekMode.Start);
    await file.write(crypto.getRandomValues(new Uint8Array(32 * 1024)));
    file.close();
    assert.throws(() => checkDatabaseFile(path, "refuse"), DamagedDatabaseError);

    const run = await masterRefusal(dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`database ${path.replaceAll(".", "\\.")}: SQLite's quick_check fails`),
    );
    assert.match(run.stderr, /Nothing was changed/);

    // set-aside keeps the damaged file and starts a new, healthy one.
    const result = checkDatabaseFile(path, "set-aside", () => Date.UTC(2026, 4, 1, 12, 0, 0));
    assert.equal(result.setAsideTo, `${path}.damaged-2026-05-01T120000Z`);
    assert.equal((await Deno.stat(result.setAsideTo!)).size, size);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    writeDatabase(path, 10);
    assert.deepEqual(checkDatabaseFile(path, "refuse"), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a healthy database and a missing one pass the check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(checkDatabaseFile(`${dir}/gridmon.db`, "refuse"), {});
    writeDatabase(`${dir}/gridmon.db`, 100);
    assert.deepEqual(checkDatabaseFile(`${dir}/gridmon.db`, "refuse"), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a --token equal to the kept one does not rewrite the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    await loadOrCreateToken(path, TOKEN);
    const before = await Deno.stat(path);
    // A rewrite (tmp file + rename) would need free space and give the file a new inode.
    assert.equal(await loadOrCreateToken(path, TOKEN), TOKEN);
    assert.equal((await Deno.stat(path)).ino, before.ino);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--ui-token shorter than 16 characters and bad --on-damaged-db values are refused", () => {
  assert.throws(
    () => parseMasterArgs(["--ui-token", "fifteen-chars-x"], {}),
    /--ui-token: must be 16 to 256 characters/,
  );
  assert.equal(parseMasterArgs(["--ui-token", "sixteen-chars-xx"], {}).uiToken, "sixteen-chars-xx");
  assert.equal(parseMasterArgs([], {}).onDamagedDb, "refuse");
  assert.equal(parseMasterArgs(["--on-damaged-db", "set-aside"], {}).onDamagedDb, "set-aside");
  assert.throws(() => parseMasterArgs(["--on-damaged-db", "repair"], {}), /--on-damaged-db/);
});
