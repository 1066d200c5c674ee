import assert from "node:assert/strict";
import { rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 12);
const MIN = 60_000;

/** Machines a (every 10 s) and b (every 20 s) over three minutes. */
async function fleetStore() {
  let clock = T0;
  const env = await tempStore(() => clock);
  const rows = [];
  for (let t = 0; t < 3 * MIN; t += 10_000) {
    rows.push(rowOf(simpleSample("a", T0 + t, t / 10_000, t / 10_000), 0.5));
    if (t % 20_000 === 0) rows.push(rowOf(simpleSample("b", T0 + t, t / 20_000, 50 + t / 20_000)));
  }
  for (const row of rows) {
    clock = row.receivedAt;
    env.store.write([row]);
  }
  return { ...env, rows };
}

Deno.test("queryFleetSeries() averages CPU over samples and sums rates over machines per minute", async () => {
  const { store, dir, rows } = await fleetStore();
  try {
    // a moves on to minute 3: its minute 2 is stored while b's minute 2 is still open.
    store.write([rowOf(simpleSample("a", T0 + 3 * MIN, 100, 100))]);
    const r = store.queryFleetSeries({ from: T0, to: T0 + 3 * MIN - 1, points: 3 });
    assert.equal(r.tier, "minute");
    assert.deepEqual(r.t, [T0, T0 + MIN, T0 + 2 * MIN]);
    for (let m = 0; m < 3; m++) {
      const inMinute = rows.filter((x) =>
        x.sample.ts >= T0 + m * MIN && x.sample.ts < T0 + (m + 1) * MIN
      );
      const cpu = inMinute.map((x) => x.sample.cpu!.usage!);
      assert.equal(r.cpuAvg[m], cpu.reduce((a, b) => a + b) / cpu.length);
      assert.equal(r.cpuMax[m], Math.max(...cpu));
      const avgRx = (id: string) => {
        const v = inMinute.filter((x) => x.machineId === id).map((x) => x.sample.net![0].rxBps!);
        return v.reduce((a, b) => a + b) / v.length;
      };
      assert.ok(Math.abs(r.netRxBps[m]! - (avgRx("a") + avgRx("b"))) < 1e-6);
      assert.equal(r.netTxBps[m], 100); // 50 B/s per machine
    }
    // Buckets of two minutes average the per-minute totals.
    const wide = store.queryFleetSeries({ from: T0, to: T0 + 4 * MIN - 1, points: 2 });
    assert.equal(wide.stepMs, 2 * MIN);
    assert.equal(wide.netTxBps[0], 100);
    assert.equal(wide.memAvg[1] !== null, true);
    const empty = store.queryFleetSeries({ from: T0 + 10 * MIN, to: T0 + 12 * MIN - 1, points: 2 });
    assert.deepEqual(empty.cpuAvg, [null, null]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("queryScatter() returns CPU and memory points with scores, newest per machine", async () => {
  const { store, dir, rows } = await fleetStore();
  try {
    const all = store.queryScatter({ from: T0, to: T0 + 3 * MIN, limit: 1000 });
    assert.equal(all.t.length, rows.length);
    assert.deepEqual(all.t, [...all.t].sort((x, y) => x - y));
    const i = all.t.findIndex((t, k) => all.machines[all.machine[k]] === "a" && t === T0 + 10_000);
    const a1 = simpleSample("a", 0, 0, 1);
    assert.equal(all.cpu[i], a1.cpu!.usage);
    assert.equal(all.mem[i], a1.mem!.usedPct);
    assert.equal(all.score[i], 0.5);
    assert.equal(all.anomalous[i], 0);
    const few = store.queryScatter({ from: T0, to: T0 + 3 * MIN, machineId: "b", limit: 2 });
    assert.deepEqual(few.machines, ["b"]);
    assert.deepEqual(few.t, [T0 + 140_000, T0 + 160_000]);
    assert.deepEqual(few.score, [null, null]);
    assert.throws(() => store.queryScatter({ from: 0, to: 1, limit: 0 }), RangeError);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
