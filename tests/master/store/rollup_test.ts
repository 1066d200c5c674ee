import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { flattenSample } from "../../../src/protocol/metrics.ts";
import type { Sample } from "../../../src/protocol/sample.ts";
import type { IngestRow, SeriesResult } from "../../../src/master/store/store_types.ts";
import { decodeAggs } from "../../../src/master/store/rollup_codec.ts";
import { machineInfo, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

interface Expect {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** Aggregates per bucket and key, computed straight from the samples written. */
function expected(rows: IngestRow[], width: number): Map<number, Map<string, Expect>> {
  const out = new Map<number, Map<string, Expect>>();
  for (const row of rows) {
    const bucket = Math.floor(row.sample.ts / width) * width;
    let keys = out.get(bucket);
    if (!keys) out.set(bucket, keys = new Map());
    const flat = flattenSample(row.sample);
    if (row.verdict?.score != null) flat.set("anomaly.score", row.verdict.score);
    for (const [key, v] of flat) {
      const e = keys.get(key);
      if (!e) keys.set(key, { min: v, max: v, sum: v, count: 1 });
      else {
        e.min = Math.min(e.min, v);
        e.max = Math.max(e.max, v);
        e.sum += v;
        e.count++;
      }
    }
  }
  return out;
}

function assertMatches(
  result: SeriesResult,
  want: Map<number, Map<string, Expect>>,
  label: string,
) {
  let checked = 0;
  result.t.forEach((t, i) => {
    const keys = want.get(t);
    for (const key of Object.keys(result.avg)) {
      const e = keys?.get(key);
      if (!e) {
        assert.equal(result.avg[key][i], null, `${label} ${key} @${t} should be empty`);
        continue;
      }
      assert.equal(result.min[key][i], e.min, `${label} min ${key} @${t}`);
      assert.equal(result.max[key][i], e.max, `${label} max ${key} @${t}`);
      const avg = result.avg[key][i]!;
      assert.ok(
        Math.abs(avg - e.sum / e.count) <= 1e-9 * Math.max(1, Math.abs(avg)),
        `${label} avg ${key} @${t}`,
      );
      checked++;
    }
  });
  for (const keys of want.values()) {
    for (const key of keys.keys()) assert.ok(key in result.avg, `${label} lacks ${key}`);
  }
  assert.ok(checked > 50, `${label}: only ${checked} values compared`);
}

/** Two machines, every 7 s for 2.5 h, odd seqs left out, written in uneven batches. */
function scenario(): { rows: IngestRow[]; late: IngestRow[] } {
  const rows: IngestRow[] = [];
  for (let i = 0; i < (2.5 * HOUR) / 7000; i++) {
    for (const id of ["a", "b"]) {
      const sample = simpleSample(
        id,
        T0 + i * 7000 + (id === "b" ? 3000 : 0),
        2 * i,
        i + (id === "b" ? 5 : 0),
      );
      rows.push(rowOf(sample, (i % 16) / 16));
    }
  }
  // Replayed late: odd seqs inside minutes (and an hour) that are already closed.
  const late = [3, 101, 517].map((i) =>
    rowOf(simpleSample("a", T0 + i * 7000 + 1000, 2 * i + 1, 1000 + i))
  );
  return { rows, late };
}

async function filledStore() {
  const { rows, late } = scenario();
  let clock = T0;
  const { store, dir, path } = await tempStore(() => clock);
  store.registerMachine(machineInfo("a"), T0);
  store.registerMachine(machineInfo("b"), T0);
  for (let i = 0; i < rows.length;) {
    const n = 1 + (i % 23);
    const batch = rows.slice(i, i + n);
    clock = batch[batch.length - 1].receivedAt;
    store.write(batch);
    i += n;
  }
  store.write(late);
  return { store, dir, path, all: [...rows, ...late], end: T0 + 2.5 * HOUR - 1 };
}

Deno.test("minute and hour rollups equal aggregates of the raw rows, device series included", async () => {
  const { store, dir, all, end } = await filledStore();
  try {
    for (const id of ["a", "b"]) {
      const mine = all.filter((r) => r.machineId === id);
      const minute = store.querySeries(id, { from: T0, to: end, points: 10_000, tier: "minute" });
      assert.equal(minute.stepMs, MIN);
      assert.ok("core:0:usage" in minute.avg && "disk:vda:writeBps" in minute.avg);
      assert.ok("net:eth0:rxBps" in minute.avg && "fs:/:used" in minute.avg);
      assertMatches(minute, expected(mine, MIN), `${id} minute`);
      const hour = store.querySeries(id, { from: T0, to: end, points: 10_000, tier: "hour" });
      assert.equal(hour.stepMs, HOUR);
      assertMatches(hour, expected(mine, HOUR), `${id} hour`);
      // The raw tier, aggregated per minute on its own path, agrees too.
      const raw = store.querySeries(id, { from: T0, to: end, points: 150, tier: "raw" });
      assert.equal(raw.stepMs, MIN);
      assertMatches(raw, expected(mine, MIN), `${id} raw`);
    }
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("closed minutes in the rollup_minute and rollup_hour rows hold count/min/max/sum of raw rows", async () => {
  const { store, dir, path, all } = await filledStore();
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const series = new Map(
      (db.prepare("SELECT idx, key FROM series").all() as { idx: number; key: string }[]).map((
        r,
      ) => [r.idx, r.key]),
    );
    const machine = (db.prepare("SELECT idx FROM machines WHERE id = 'a'").get() as { idx: number })
      .idx;
    const layouts = new Map(
      (db.prepare("SELECT idx, series FROM layouts").all() as { idx: number; series: string }[])
        .map((r) => [r.idx, JSON.parse(r.series) as number[]]),
    );
    for (const [table, width] of [["rollup_minute", MIN], ["rollup_hour", HOUR]] as const) {
      const expect = expected(all.filter((r) => r.machineId === "a"), width);
      const rows = db.prepare(`SELECT bucket, layout, aggs FROM ${table} WHERE machine = ?`)
        .all(machine) as { bucket: number; layout: number; aggs: Uint8Array }[];
      assert.ok(rows.length >= 3);
      let compared = 0;
      for (const r of rows) {
        // The last hour's row only has the minutes closed so far.
        if (table === "rollup_hour" && r.bucket === T0 + 2 * HOUR) continue;
        const ids = layouts.get(r.layout)!;
        const buf = new Float64Array(ids.length * 4);
        decodeAggs(r.aggs, ids.length, buf);
        const want = expect.get(r.bucket)!;
        assert.equal(ids.length, want.size, `${table} series @${r.bucket}`);
        ids.forEach((id, i) => {
          const key = series.get(id)!;
          const e = want.get(key)!;
          assert.equal(buf[4 * i], e.count, `${table} count ${key} @${r.bucket}`);
          assert.equal(buf[4 * i + 1], e.min);
          assert.equal(buf[4 * i + 2], e.max);
          assert.ok(Math.abs(buf[4 * i + 3] - e.sum) <= 1e-9 * Math.max(1, Math.abs(e.sum)));
          compared++;
        });
      }
      assert.ok(compared > 60);
    }
  } finally {
    db.close();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reopened store rebuilds the open minute from raw rows", async () => {
  const { store, dir, path, all, end } = await filledStore();
  const before = store.querySeries("a", { from: T0, to: end, points: 10_000, tier: "minute" });
  store.close();
  const { openStore } = await import("../../../src/master/store/sqlite_store.ts");
  const { RETENTION } = await import("./store_fixtures.ts");
  const again = openStore({ path, retention: RETENTION, now: () => end });
  try {
    const after = again.querySeries("a", { from: T0, to: end, points: 10_000, tier: "minute" });
    assert.deepEqual(after, before);
    assertMatches(after, expected(all.filter((r) => r.machineId === "a"), MIN), "reopened");
  } finally {
    again.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rows of one minute written across many write calls roll up into one bucket", async () => {
  let clock = T0;
  const { store, dir } = await tempStore(() => clock);
  try {
    const samples: Sample[] = [];
    for (let i = 0; i < 12; i++) {
      const s = simpleSample("m", T0 + i * 5000, i, i * 3);
      samples.push(s);
      clock = s.ts;
      store.write([rowOf(s)]);
    }
    const r = store.querySeries("m", { from: T0, to: T0 + MIN - 1, points: 1, tier: "minute" });
    const usage = samples.map((s) => s.cpu!.usage!);
    assert.deepEqual(r.t, [T0]);
    assert.equal(r.min["cpu.usage"][0], Math.min(...usage));
    assert.equal(r.max["cpu.usage"][0], Math.max(...usage));
    assert.equal(r.avg["cpu.usage"][0], usage.reduce((a, b) => a + b) / usage.length);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
