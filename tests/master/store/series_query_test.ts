import assert from "node:assert/strict";
import { DAY_MS, machineInfo, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 3, 0, 0, 0);
const HOUR = 3_600_000;

async function storeWith(times: number[], now = times[times.length - 1]) {
  let clock = now;
  const env = await tempStore(() => clock);
  env.store.registerMachine(machineInfo("m"), times[0]);
  env.store.write(times.map((t, i) => rowOf(simpleSample("m", t, i, i), i / 100)));
  return { ...env, setClock: (t: number) => (clock = t) };
}

Deno.test("querySeries() picks raw up to 6 h, minute up to 30 d and hour beyond", async () => {
  const times = Array.from({ length: 400 }, (_, i) => T0 + i * 15_000);
  const { store, dir } = await storeWith(times);
  try {
    const q = (span: number) =>
      store.querySeries("m", {
        from: T0 + 100 * 15_000 - span,
        to: T0 + 100 * 15_000,
        points: 100,
      });
    assert.equal(q(HOUR).tier, "raw");
    assert.equal(q(6 * HOUR).tier, "raw");
    assert.equal(q(6 * HOUR + 1).tier, "minute");
    assert.equal(q(30 * DAY_MS).tier, "minute");
    assert.equal(q(30 * DAY_MS + 1).tier, "hour");
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() falls back to another tier when the chosen one has no rows", async () => {
  // Rows three days old: raw retention (2 d) removes them, the rollups stay.
  const times = Array.from({ length: 120 }, (_, i) => T0 + i * 1000);
  const { store, dir, setClock } = await storeWith(times);
  try {
    setClock(T0 + 3 * DAY_MS);
    store.applyRetention(T0 + 3 * DAY_MS);
    const r = store.querySeries("m", { from: T0, to: T0 + HOUR - 1, points: 60 });
    assert.equal(r.tier, "minute");
    assert.equal(r.stepMs, 60_000);
    assert.equal(r.avg["cpu.usage"].filter((v) => v !== null).length, 2);
    // Forcing the tier disables the fallback.
    const raw = store.querySeries("m", { from: T0, to: T0 + HOUR, points: 60, tier: "raw" });
    assert.equal(raw.tier, "raw");
    assert.deepEqual(raw.avg, {});
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() puts rows into aligned buckets and leaves empty buckets null", async () => {
  // Buckets of 10 s: rows at 0 s and 9.999 s share the first, 10 s starts the second, none
  // in 20-30 s, one at 30 s.
  const times = [T0, T0 + 9_999, T0 + 10_000, T0 + 30_000];
  const { store, dir } = await storeWith(times);
  try {
    const r = store.querySeries("m", { from: T0, to: T0 + 39_999, points: 4 });
    assert.equal(r.tier, "raw");
    assert.equal(r.stepMs, 10_000);
    assert.deepEqual(r.t, [T0, T0 + 10_000, T0 + 20_000, T0 + 30_000]);
    const u = [0, 1, 2, 3].map((k) => simpleSample("m", 0, 0, k).cpu!.usage!);
    assert.deepEqual(r.avg["cpu.usage"], [(u[0] + u[1]) / 2, u[2], null, u[3]]);
    assert.deepEqual(r.min["cpu.usage"], [Math.min(u[0], u[1]), u[2], null, u[3]]);
    assert.deepEqual(r.max["cpu.usage"], [Math.max(u[0], u[1]), u[2], null, u[3]]);
    const f = Math.fround;
    assert.deepEqual(r.avg["anomaly.score"], [(f(0) + f(0.01)) / 2, f(0.02), null, f(0.03)]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() returns at most `points` buckets over a day of 1 s rows", async () => {
  const times = Array.from({ length: 3600 }, (_, i) => T0 + i * 1000);
  const { store, dir } = await storeWith(times);
  try {
    const r = store.querySeries("m", { from: T0 - 23 * HOUR, to: T0 + HOUR - 1, points: 1000 });
    assert.equal(r.tier, "minute");
    assert.ok(r.t.length <= 1000);
    assert.equal(r.t.length, r.avg["cpu.usage"].length);
    const filled = r.avg["cpu.usage"].filter((v) => v !== null).length;
    assert.equal(filled, 30); // 60 minutes in 2-minute buckets
    // Each 2-minute bucket merges both minutes: the same numbers as raw rows in 2-minute buckets.
    const raw = store.querySeries("m", { from: r.from, to: r.to, points: 720, tier: "raw" });
    assert.equal(raw.stepMs, r.stepMs);
    assert.deepEqual(raw.t, r.t);
    assert.deepEqual(raw.avg["cpu.usage"], r.avg["cpu.usage"]);
    assert.deepEqual(raw.max["mem.used"], r.max["mem.used"]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() keeps only the requested keys and prefixes", async () => {
  const { store, dir } = await storeWith([T0, T0 + 1000]);
  try {
    for (const tier of ["raw", "minute", "hour"] as const) {
      const r = store.querySeries("m", {
        from: T0,
        to: T0 + 2000,
        points: 10,
        tier,
        metrics: ["cpu.usage", "disk:", "nope"],
      });
      assert.deepEqual(Object.keys(r.avg).sort(), [
        "cpu.usage",
        "disk:vda:readBps",
        "disk:vda:readIops",
        "disk:vda:utilPct",
        "disk:vda:writeBps",
        "disk:vda:writeIops",
      ], tier);
    }
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() rejects bad ranges and point counts with a RangeError", async () => {
  const { store, dir } = await storeWith([T0]);
  try {
    assert.throws(() => store.querySeries("m", { from: 10, to: 5, points: 10 }), RangeError);
    assert.throws(() => store.querySeries("m", { from: 0, to: 5, points: 0 }), RangeError);
    assert.throws(() => store.querySeries("m", { from: 0, to: 5, points: 20_000 }), RangeError);
    assert.throws(
      () => store.querySeries("m", { from: 0, to: 5, points: 5, tier: "week" as "raw" }),
      RangeError,
    );
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() of an unknown machine has buckets and no metrics", async () => {
  const { store, dir } = await storeWith([T0]);
  try {
    const r = store.querySeries("ghost", { from: T0, to: T0 + 9_999, points: 10 });
    assert.equal(r.t.length, 10);
    assert.deepEqual(r.avg, {});
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("querySeries() falls back to a finer tier when the coarser one has no rows yet", async () => {
  // An upgraded database with raw and minute rows but no hour rows yet.
  const times = Array.from({ length: 180 }, (_, i) => T0 + i * 1000);
  const { store, dir, path, setClock } = await storeWith(times);
  setClock(T0 + 10 * 60_000);
  store.applyRetention(T0); // closes the idle open minute, deletes nothing
  store.close();
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  db.exec("DELETE FROM rollup_hour");
  db.close();
  const { openStore } = await import("../../../src/master/store/sqlite_store.ts");
  const { RETENTION } = await import("./store_fixtures.ts");
  const again = openStore({ path, retention: RETENTION, now: () => T0 + 10 * 60_000 });
  try {
    const r = again.querySeries("m", { from: T0 - 40 * DAY_MS, to: T0 + HOUR, points: 1000 });
    assert.equal(r.tier, "minute");
    assert.equal(r.avg["cpu.usage"].filter((v) => v !== null).length, 1);
  } finally {
    again.close();
    await Deno.remove(dir, { recursive: true });
  }
});
