import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  migrate,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion,
} from "../../../src/master/store/migrations.ts";
import { openStore } from "../../../src/master/store/sqlite_store.ts";
import { encodeValues } from "../../../src/master/store/value_codec.ts";
import { RETENTION } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 5);

Deno.test("migrations are numbered 1, 2, 3, ... in order", () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
});

Deno.test("opening a version 1 database migrates it and keeps its rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_migrate_" });
  const path = `${dir}/old.db`;
  try {
    const old = new DatabaseSync(path);
    assert.deepEqual(migrate(old, 1), [1]);
    old.exec(`INSERT INTO machines (id, name, hostname, os, arch, cores, mem_total, agent_version,
      interval_ms, first_seen, last_seen, last_seq) VALUES ('old', 'Old', 'old-host', 'linux',
      'x86_64', 2, 1000, '0.0.9', 1000, ${T0}, ${T0}, 1)`);
    old.exec("INSERT INTO series (idx, key) VALUES (1, 'cpu.usage'), (2, 'mem.usedPct')");
    old.exec("INSERT INTO layouts (idx, series) VALUES (1, '[1,2]')");
    const insert = old.prepare(
      "INSERT INTO raw (machine, ts, seq, recv_delta, flags, layout, vals) VALUES (1, ?, ?, 0, 0, 1, ?)",
    );
    insert.run(T0, 0, encodeValues([10, 40]));
    insert.run(T0 + 1000, 1, encodeValues([30, 60]));
    old.close();

    const store = openStore({ path, retention: RETENTION, now: () => T0 });
    try {
      const row = store.getMachine("old")!;
      assert.equal(row.name, "Old");
      assert.equal(row.lastSeq, 1);
      const r = store.querySeries("old", { from: T0, to: T0 + 1999, points: 1 });
      assert.deepEqual(r.avg, { "cpu.usage": [20], "mem.usedPct": [50] });
      // Tables of later migrations work.
      const id = store.openAnomaly({
        machineId: "old",
        start: T0,
        end: null,
        peakScore: 1,
        reason: "cpu.usage",
        causes: [],
      });
      assert.equal(store.listAnomalies({ from: T0, to: T0 })[0].id, id);
    } finally {
      store.close();
    }
    const db = new DatabaseSync(path);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a version 3 database keeps its anomaly events; their close reason is unknown (null)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_migrate_" });
  const path = `${dir}/v3.db`;
  try {
    const old = new DatabaseSync(path);
    assert.deepEqual(migrate(old, 3), [1, 2, 3]);
    old.exec(`INSERT INTO machines (id, name, hostname, os, arch, cores, mem_total, agent_version,
      interval_ms, first_seen, last_seen, last_seq) VALUES ('old', 'Old', 'old-host', 'linux',
      'x86_64', 2, 1000, '0.0.9', 1000, ${T0}, ${T0}, 1)`);
    old.exec(`INSERT INTO anomalies (machine, start, end, peak_score, reason, causes)
      VALUES (1, ${T0}, ${T0 + 5000}, 0.9, 'cpu.usage', '[]')`);
    old.close();
    const store = openStore({ path, retention: RETENTION, now: () => T0 });
    try {
      const [event] = store.listAnomalies({ from: T0, to: T0 + 5000 });
      assert.equal(event.end, T0 + 5000);
      assert.equal(event.reason, "cpu.usage");
      assert.equal(event.closeReason, null);
      store.updateAnomaly(event.id, { closeReason: "recovered" });
      assert.equal(store.listAnomalies({ from: T0, to: T0 })[0].closeReason, "recovered");
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("opening a database from a newer gridmon fails with a clear error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_migrate_" });
  const path = `${dir}/new.db`;
  try {
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => openStore({ path, retention: RETENTION }),
      (e: Error) => e instanceof RangeError && /newer than this gridmon/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing migration rolls back and leaves the version unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_migrate_" });
  try {
    const db = new DatabaseSync(`${dir}/x.db`);
    migrate(db, 1);
    db.exec("CREATE TABLE anomalies (x)"); // collides with migration 2
    assert.throws(() => migrate(db), /Migration 2/);
    assert.equal(schemaVersion(db), 1);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
