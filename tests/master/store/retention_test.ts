import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openStore } from "../../../src/master/store/sqlite_store.ts";
import { rowOf, simpleSample } from "./store_fixtures.ts";

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);
const RETENTION = { raw: 2 * HOUR, minute: 5 * HOUR, hour: 10 * HOUR };

/** A store with rows every 30 s for 12 h on two machines, all minutes closed. */
async function filled(retentionMaxRows?: number) {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_retention_" });
  const path = `${dir}/gridmon.db`;
  let clock = T0;
  const store = openStore({ path, retention: RETENTION, now: () => clock, retentionMaxRows });
  for (let i = 0; i < (12 * HOUR) / 30_000; i++) {
    clock = T0 + i * 30_000;
    store.write(["a", "b"].map((id) => rowOf(simpleSample(id, clock, i, i), 0.25)));
  }
  clock = T0 + 12 * HOUR + 10 * MIN;
  // Every machine is idle now: this closes the open minutes and, with cutoffs before any row,
  // deletes nothing.
  assert.equal(store.applyRetention(T0), 0);
  store.openAnomaly({
    machineId: "a",
    start: T0,
    end: T0 + MIN,
    peakScore: 1,
    reason: "x",
    causes: [],
  });
  store.openAnomaly({
    machineId: "a",
    start: T0 + 11 * HOUR,
    end: null,
    peakScore: 1,
    reason: "y",
    causes: [],
  });
  return { store, dir, path, now: clock };
}

function times(path: string, sql: string): number[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare(sql).all() as { t: number }[]).map((r) => r.t);
  } finally {
    db.close();
  }
}

Deno.test("applyRetention() deletes exactly the rows older than each tier's cutoff", async () => {
  const { store, dir, path, now } = await filled();
  try {
    const count = (sql: string) => times(path, sql).length;
    const before = {
      raw: times(path, "SELECT ts AS t FROM raw"),
      minute: times(path, "SELECT bucket AS t FROM rollup_minute"),
      hour: times(path, "SELECT bucket AS t FROM rollup_hour"),
      fleet: times(path, "SELECT bucket AS t FROM fleet_minute"),
    };
    const deleted = store.applyRetention(now);
    const after = {
      raw: times(path, "SELECT ts AS t FROM raw"),
      minute: times(path, "SELECT bucket AS t FROM rollup_minute"),
      hour: times(path, "SELECT bucket AS t FROM rollup_hour"),
      fleet: times(path, "SELECT bucket AS t FROM fleet_minute"),
    };
    const keep = (ts: number[], cutoff: number) => ts.filter((t) => t >= cutoff).sort();
    assert.deepEqual(after.raw.sort(), keep(before.raw, now - RETENTION.raw));
    assert.deepEqual(after.minute.sort(), keep(before.minute, now - RETENTION.minute));
    assert.deepEqual(after.hour.sort(), keep(before.hour, now - RETENTION.hour));
    assert.deepEqual(after.fleet.sort(), keep(before.fleet, now - RETENTION.hour));
    const expectDeleted = before.raw.length - after.raw.length +
      before.minute.length - after.minute.length + before.hour.length - after.hour.length +
      before.fleet.length - after.fleet.length + 1; // + the closed anomaly event
    assert.equal(deleted, expectDeleted);
    assert.ok(after.raw.length > 0 && after.raw.length < before.raw.length);
    assert.equal(count("SELECT start AS t FROM anomalies"), 1);
    assert.equal(store.applyRetention(now), 0);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("applyRetention() stops at its row budget and finishes over later calls", async () => {
  const { store, dir, path, now } = await filled(700);
  try {
    const total = () =>
      times(path, "SELECT ts AS t FROM raw UNION ALL SELECT bucket FROM rollup_minute").length;
    const start = total();
    const first = store.applyRetention(now);
    assert.equal(first, 700);
    assert.equal(total(), start - 700);
    let calls = 1;
    while (store.applyRetention(now) > 0) calls++;
    assert.ok(calls > 3);
    assert.equal(
      times(path, `SELECT ts AS t FROM raw WHERE ts < ${now - RETENTION.raw}`).length,
      0,
    );
    assert.equal(
      times(path, `SELECT bucket AS t FROM rollup_minute WHERE bucket < ${now - RETENTION.minute}`)
        .length,
      0,
    );
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("applyRetention() removes a burst of rows that share one clamped time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_retention_" });
  const store = openStore({
    path: `${dir}/gridmon.db`,
    retention: RETENTION,
    now: () => T0,
    retentionMaxRows: 100_000,
  });
  try {
    const rows = Array.from({ length: 6000 }, (_, i) => ({
      ...rowOf(simpleSample("a", T0, i, i)),
      clockSkewed: true,
    }));
    store.write(rows);
    assert.equal(store.applyRetention(T0 + RETENTION.raw + 1) >= 6000, true);
    assert.deepEqual(store.recentSamples("a", 10), []);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore() rejects a retention that is not a positive duration", () => {
  assert.throws(
    () => openStore({ path: ":memory:", retention: { raw: 0, minute: 1, hour: 1 } }),
    /raw tier/,
  );
});

Deno.test("retainInSlices() deletes everything due in slices, yielding between them", async () => {
  const { retainInSlices } = await import("../../../src/master/store/retention.ts");
  const { store, dir, path, now } = await filled();
  try {
    const calls: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const spy = {
      applyRetention(t: number, maxRows?: number) {
        const n = store.applyRetention(t, maxRows);
        calls.push(n);
        return n;
      },
    };
    const deleted = await retainInSlices(spy, now, { sliceRows: 300 });
    clearInterval(timer);
    assert.ok(calls.length > 3, `${calls.length} slices`);
    assert.ok(calls.slice(0, -1).every((n) => n === 300));
    assert.equal(deleted, calls.reduce((a, b) => a + b));
    assert.ok(ticks > 0, "the event loop ran between slices");
    assert.equal(
      times(path, `SELECT ts AS t FROM raw WHERE ts < ${now - RETENTION.raw}`).length,
      0,
    );
    assert.equal(await retainInSlices(store, now), 0);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
