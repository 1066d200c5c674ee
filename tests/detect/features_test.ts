import assert from "node:assert/strict";
import {
  realValue,
  SAMPLE_FEATURES,
  SampleFeatures,
  scaledValue,
} from "../../src/detect/features.ts";
import { Random } from "../../src/detect/random.ts";
import { syntheticSample } from "./detector_helpers.ts";

function index(name: string): number {
  const i = SAMPLE_FEATURES.findIndex((f) => f.name === name);
  assert.ok(i >= 0, name);
  return i;
}

Deno.test("SampleFeatures.extract() puts rates on log1p scale, summed over devices", () => {
  const sample = syntheticSample(new Random(1), 0);
  sample.disks!.push({ ...sample.disks![0], name: "vdb", writeBps: 1000 });
  const x = new SampleFeatures().extract(sample);
  assert.equal(x.length, SAMPLE_FEATURES.length);
  assert.equal(x[index("disk.writeBps")], Math.log1p(sample.disks![0].writeBps! + 1000));
  assert.equal(x[index("disk.utilPct")], scaledValue(SAMPLE_FEATURES[index("disk.utilPct")], 5));
  assert.equal(x[index("load.perCore")], sample.load!["1"] / 2);
  assert.equal(x[index("mem.swapUsedPct")], 0);
});

Deno.test("SampleFeatures.extract() gives NaN for what is absent or null", () => {
  const sample = syntheticSample(new Random(1), 0);
  delete sample.net;
  sample.disks![0].writeBps = null;
  delete sample.cpu!.cores;
  const x = new SampleFeatures().extract(sample);
  assert.ok(Number.isNaN(x[index("net.rxBps")]));
  assert.ok(Number.isNaN(x[index("disk.writeBps")]));
  assert.ok(Number.isNaN(x[index("load.perCore")]));
  assert.ok(Number.isNaN(x[index("pressure.io.some10")]));
});

Deno.test("saturating metrics are on a headroom scale that realValue() inverts", () => {
  const cpu = SAMPLE_FEATURES[index("cpu.usage")];
  const near = scaledValue(cpu, 99) - scaledValue(cpu, 90);
  const low = scaledValue(cpu, 60) - scaledValue(cpu, 10);
  assert.ok(near > low, "90 -> 99 % weighs more than 10 -> 60 %");
  for (const v of [0, 12.5, 99, 100]) {
    assert.ok(Math.abs(realValue(cpu, scaledValue(cpu, v)) - v) < 1e-9);
  }
  assert.ok(Number.isFinite(scaledValue(cpu, 250)), "out of range values are clamped");
  const rx = SAMPLE_FEATURES[index("net.rxBps")];
  assert.ok(Math.abs(realValue(rx, scaledValue(rx, 12345)) - 12345) < 1e-6);
});

Deno.test("SampleFeatures names the device leading each summed metric", () => {
  const sample = syntheticSample(new Random(1), 0);
  sample.net!.push({ ...sample.net![0], iface: "eth1", rxBps: 1e9 });
  const features = new SampleFeatures();
  features.extract(sample);
  assert.equal(features.devices[index("net.rxBps")], "eth1");
  assert.equal(features.devices[index("disk.writeBps")], "vda");
  assert.equal(features.devices[index("cpu.usage")], undefined);
});
