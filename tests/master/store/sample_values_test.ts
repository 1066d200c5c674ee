import assert from "node:assert/strict";
import { flattenSample } from "../../../src/protocol/metrics.ts";
import type { Sample } from "../../../src/protocol/sample.ts";
import {
  newWalk,
  sameShape,
  sameValues,
  walkSample,
} from "../../../src/master/store/sample_values.ts";
import { realisticSample, rng, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 13);

function edgeSamples(): Sample[] {
  const base = simpleSample("m", T0, 0, 3);
  const rand = rng(5);
  return [
    base,
    realisticSample("m", T0, 1, { cores: 8, disks: 2, ifaces: 2 }, rand),
    { ts: T0, seq: 2, machineId: "m", hostname: "h" },
    {
      ...base,
      cpu: { usage: null, user: null, system: 3, cores: [null, 5, null] },
      disks: [{ ...base.disks![0], readBps: null, utilPct: null }],
      net: [{ ...base.net![0], rxBps: null, rxDrops: 1 }],
      temps: [{ sensor: "coretemp", label: "Core 0", celsius: 41.5 }],
      pressure: { io: { some10: 1, some60: 1, some300: 1, full10: 0.5, full60: 0, full300: 0 } },
    },
  ];
}

Deno.test("walkSample() reads the same values in the same order as flattenSample()", () => {
  const w = newWalk();
  for (const s of edgeSamples()) {
    walkSample(s, 0.25, w);
    assert.deepEqual(w.values, [...flattenSample(s).values(), 0.25]);
    walkSample(s, null, w);
    assert.deepEqual(w.values, [...flattenSample(s).values()]);
  }
});

Deno.test("walkSample() shapes differ when a value appears, a device changes or a score is missing", () => {
  const shapeOf = (s: Sample, score: number | null = 0.5) => {
    const w = newWalk();
    walkSample(s, score, w);
    return [...w.shape];
  };
  const a = simpleSample("m", T0, 0, 1);
  assert.ok(sameShape(shapeOf(a), shapeOf(simpleSample("m", T0 + 1, 1, 77))));
  assert.ok(!sameShape(shapeOf(a), shapeOf(a, null)));
  assert.ok(!sameShape(shapeOf(a), shapeOf({ ...a, disks: [{ ...a.disks![0], name: "vdb" }] })));
  assert.ok(
    !sameShape(shapeOf(a), shapeOf({ ...a, net: [{ ...a.net![0], rxBps: null }] })),
  );
  assert.ok(!sameShape(shapeOf(a), shapeOf({ ...a, cpu: { ...a.cpu!, cores: [1, 2, 3] } })));
});

Deno.test("sameValues() notices duplicate device names that flattenSample merges", () => {
  const s = simpleSample("m", T0, 0, 1);
  s.disks = [s.disks![0], { ...s.disks![0], readBps: 999 }];
  const w = newWalk();
  walkSample(s, null, w);
  assert.equal(sameValues(w.values, [...flattenSample(s).values()]), false);
});

Deno.test("write() stores each sample under flattenSample's keys while shapes change", async () => {
  let clock = T0;
  const { store, dir } = await tempStore(() => clock);
  try {
    const samples = edgeSamples().map((s, i) => ({ ...s, ts: T0 + i * 1000, seq: i }));
    const dup = simpleSample("m", T0 + 4000, 4, 9);
    dup.disks = [dup.disks![0], { ...dup.disks![0], readBps: 999 }];
    samples.push(dup, simpleSample("m", T0 + 5000, 5, 10), simpleSample("m", T0 + 6000, 6, 11));
    for (const s of samples) {
      clock = s.ts;
      store.write([rowOf(s, s.seq % 2 ? 0.5 : null)]);
    }
    const r = store.querySeries("m", { from: T0, to: T0 + 6999, points: 7, tier: "raw" });
    samples.forEach((s, i) => {
      const want = flattenSample(s);
      if (s.seq % 2) want.set("anomaly.score", 0.5);
      const got = new Map<string, number>();
      for (const key of Object.keys(r.avg)) {
        const v = r.avg[key][i];
        if (v !== null) got.set(key, v);
      }
      const rounded = new Map(
        [...want].map(([k, v]) => [k, Number.isInteger(v) ? v : Math.fround(v)]),
      );
      assert.deepEqual(got, rounded, `sample ${i}`);
    });
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
