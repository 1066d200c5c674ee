import assert from "node:assert/strict";
import { MEMORY_GROWTH_LAG, SAMPLE_FEATURES, SampleFeatures } from "../../src/detect/features.ts";
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
  assert.equal(x[index("disk.utilPct")], 5);
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
  assert.ok(Number.isNaN(x[index("mem.growth")]));
});

Deno.test("mem.growth appears once enough history exists and follows a steady climb", () => {
  const features = new SampleFeatures();
  const rng = new Random(1);
  let growth = NaN;
  for (let i = 0; i < MEMORY_GROWTH_LAG + 10; i++) {
    const sample = syntheticSample(rng, i, null, Infinity, 0);
    sample.mem!.usedPct = 40 + 0.1 * i;
    growth = features.extract(sample)[index("mem.growth")];
    if (i < MEMORY_GROWTH_LAG + 3) assert.ok(Number.isNaN(growth), `sample ${i}`);
  }
  assert.ok(Math.abs(growth - 0.1 * MEMORY_GROWTH_LAG) < 1e-9);
});
