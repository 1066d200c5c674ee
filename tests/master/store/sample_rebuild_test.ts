import assert from "node:assert/strict";
import { unflattenSample } from "../../../src/master/store/sample_rebuild.ts";
import { flattenSample } from "../../../src/protocol/metrics.ts";
import { SampleSchema } from "../../../src/protocol/sample.ts";
import { realisticSample, rng, simpleSample } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 13);

Deno.test("unflattenSample() rebuilds every stored metric and a sample the schema accepts", () => {
  const rand = rng(3);
  const samples = [
    simpleSample("m", T0, 0, 5),
    realisticSample("m", T0, 1, { cores: 4, disks: 2, ifaces: 2 }, rand),
    {
      ...simpleSample("m", T0, 2, 9),
      temps: [{ sensor: "coretemp", label: "Package id/0", celsius: 51 }],
      pressure: { io: { some10: 1, some60: 2, some300: 3, full10: 4 } },
      net: [{
        iface: "eth0:1",
        rxBps: 1,
        txBps: null,
        rxPps: 3,
        txPps: 4,
        rxErrors: 5,
        txErrors: 6,
        rxDrops: 7,
        txDrops: 8,
      }],
    },
  ];
  for (const sample of samples) {
    const flat = flattenSample(sample);
    flat.set("anomaly.score", 0.5);
    const base = { ts: sample.ts, seq: sample.seq, machineId: "m", hostname: "h" };
    const rebuilt = unflattenSample(base, flat);
    flat.delete("anomaly.score");
    assert.deepEqual(flattenSample(rebuilt), flat);
    const checked = SampleSchema.safeParse(rebuilt);
    assert.ok(checked.success, JSON.stringify(checked.error?.issues[0]));
  }
});

Deno.test("unflattenSample() keeps gaps between cores and ignores unknown keys", () => {
  const base = { ts: T0, seq: 0, machineId: "m", hostname: "h" };
  const values = new Map([["core:2:usage", 5], ["core:0:usage", 1], ["nope.x", 3], [
    "disk:a:x",
    1,
  ]]);
  const rebuilt = unflattenSample(base, values);
  assert.deepEqual(rebuilt.cpu?.cores, [1, null, 5]);
  assert.equal(rebuilt.cpu?.usage, null);
  assert.equal(rebuilt.disks, undefined);
});
