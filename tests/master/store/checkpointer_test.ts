import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startCheckpointer } from "../../../src/master/store/checkpointer.ts";

Deno.test("startCheckpointer() copies committed WAL pages into the database file in the background", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_ckpt_" });
  const path = `${dir}/x.db`;
  const db = new DatabaseSync(path);
  const errors: string[] = [];
  const checkpointer = startCheckpointer(path, { everyMs: 20, onError: (e) => errors.push(e) });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA wal_autocheckpoint = 0");
    db.exec("CREATE TABLE t (b BLOB)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    db.exec("BEGIN");
    for (let i = 0; i < 500; i++) insert.run(new Uint8Array(4000));
    db.exec("COMMIT");
    let size = 0;
    for (let waited = 0; waited < 5000 && size < 2_000_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
      size = (await Deno.stat(path)).size;
    }
    assert.ok(size >= 2_000_000, `database file is ${size} bytes`);
    assert.deepEqual(errors, []);
    assert.equal((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n, 500);
  } finally {
    checkpointer.stop();
    checkpointer.stop();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startCheckpointer() reports a database it cannot open", async () => {
  const errors: string[] = [];
  const checkpointer = startCheckpointer("/nonexistent-dir/x.db", {
    everyMs: 10,
    onError: (e) => errors.push(e),
  });
  try {
    for (let waited = 0; waited < 5000 && errors.length === 0; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.match(errors[0], /unable to open|Cannot open|no such/i);
  } finally {
    checkpointer.stop();
  }
});

Deno.test("store.checkpoint() empties the WAL while the background checkpointer runs", async () => {
  const { tempStore, rowOf, simpleSample } = await import("./store_fixtures.ts");
  const t0 = Date.UTC(2026, 0, 14);
  const { store, dir, path } = await tempStore(() => t0);
  try {
    for (let i = 0; i < 50; i++) store.write([rowOf(simpleSample("m", t0 + i * 1000, i, i))]);
    store.checkpoint();
    assert.equal((await Deno.stat(`${path}-wal`)).size, 0);
    assert.equal(store.recentSamples("m", 100).length, 50);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("closing a store waits for a running background checkpoint, leaving no files behind", async () => {
  const { RETENTION, tempStore, rowOf, simpleSample } = await import("./store_fixtures.ts");
  const { openStore } = await import("../../../src/master/store/sqlite_store.ts");
  const t0 = Date.UTC(2026, 0, 15);
  for (let round = 0; round < 10; round++) {
    const { store, dir, path } = await tempStore(() => t0);
    try {
      for (let i = 0; i < 20; i++) store.write([rowOf(simpleSample("m", t0 + i * 1000, i, i))]);
      store.close();
      // A checkpoint cut off by close() would leave the WAL (and its index) behind.
      const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(left, ["gridmon.db"], `round ${round}`);
      const reopened = openStore({ path, retention: RETENTION, now: () => t0 });
      try {
        assert.equal(reopened.recentSamples("m", 100).length, 20, `round ${round}`);
      } finally {
        reopened.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});
