import assert from "node:assert/strict";
import {
  averagePathLength,
  fitForest,
  growForest,
  IsolationForest,
  maxDepth,
} from "../../src/detect/isolation_forest.ts";
import { Buffer } from "node:buffer";
import { Random } from "../../src/detect/random.ts";
import { rocAuc } from "../../src/detect/roc_auc.ts";
import { readLabelledCsv } from "../helpers/labelled_csv.ts";

const ODDS = new URL("../fixtures/detect/odds", import.meta.url).pathname;

function gaussianRows(n: number, nF: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const data = new Float64Array(n * nF);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) *
      Math.cos(2 * Math.PI * rng.nextFloat());
  }
  return data;
}

function meanAuc(name: string, seeds: number): number {
  const { data, labels, nF } = readLabelledCsv(`${ODDS}/${name}.csv`);
  let sum = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const forest = fitForest(data, labels.length, nF, { seed });
    sum += rocAuc(forest.scoreAll(data), labels);
  }
  return sum / seeds;
}

Deno.test("averagePathLength() matches c(n) = 2H(n-1) - 2(n-1)/n with c(1)=0, c(2)=1", () => {
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  assert.ok(Math.abs(averagePathLength(256) - 10.2447) < 1e-3);
  assert.equal(maxDepth(256), 8);
  assert.equal(maxDepth(100), 7);
});

Deno.test("fitForest() reaches scikit-learn's AUC on breastw within 0.03", () => {
  assert.ok(meanAuc("breastw", 3) >= 0.9873 - 0.03);
});

Deno.test("fitForest() reaches scikit-learn's AUC on ionosphere within 0.03", () => {
  assert.ok(meanAuc("ionosphere", 3) >= 0.8461 - 0.03);
});

Deno.test("fitForest() with the same seed gives the same scores, another seed different ones", () => {
  const data = gaussianRows(500, 4, 7);
  const a = fitForest(data, 500, 4, { seed: 3 }).scoreAll(data);
  const b = fitForest(data, 500, 4, { seed: 3 }).scoreAll(data);
  const c = fitForest(data, 500, 4, { seed: 4 }).scoreAll(data);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("scoreRow() and scoreAll() agree bit for bit", () => {
  const data = gaussianRows(300, 5, 1);
  const forest = fitForest(data, 300, 5, { seed: 9 });
  const all = forest.scoreAll(data);
  for (let r = 0; r < 300; r++) assert.equal(forest.scoreRow(data, r * 5), all[r]);
});

Deno.test("toJSON()/fromJSON() round trip scores bit for bit, through JSON text", () => {
  const data = gaussianRows(400, 3, 2);
  const forest = fitForest(data, 400, 3, { seed: 5, trees: 20 });
  const loaded = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest)));
  assert.deepEqual(loaded.scoreAll(data), forest.scoreAll(data));
  assert.deepEqual(loaded.attribute(data, 0), forest.attribute(data, 0));
  assert.equal(loaded.trees, 20);
});

Deno.test("fromJSON() rejects a damaged forest with a TypeError", () => {
  const json = fitForest(gaussianRows(50, 2, 1), 50, 2, { trees: 2 }).toJSON();
  assert.throws(() => IsolationForest.fromJSON(null), TypeError);
  assert.throws(() => IsolationForest.fromJSON({ ...json, format: "x" }), /format/);
  assert.throws(() => IsolationForest.fromJSON({ ...json, threshold: "AAAA" }), /threshold/);
  assert.throws(() => IsolationForest.fromJSON({ ...json, depth: 3 }), /depth/);
});

Deno.test("a point far out scores higher than the crowd, and the crowd near or below 0.5", () => {
  const n = 1000;
  const data = gaussianRows(n, 2, 3);
  data[0] = 8;
  data[1] = 8;
  const scores = fitForest(data, n, 2, { seed: 1 }).scoreAll(data);
  const sorted = [...scores].sort((a, b) => a - b);
  assert.equal(scores[0], sorted[n - 1]);
  assert.ok(scores[0] > 0.7);
  assert.ok(sorted[n / 2] < 0.5);
});

Deno.test("constant features are never split on and do not change scores", () => {
  const n = 300;
  const varying = gaussianRows(n, 2, 4);
  const withConstants = new Float64Array(n * 4);
  for (let r = 0; r < n; r++) {
    withConstants[r * 4] = 5;
    withConstants[r * 4 + 1] = varying[r * 2];
    withConstants[r * 4 + 2] = -1;
    withConstants[r * 4 + 3] = varying[r * 2 + 1];
  }
  const forest = fitForest(withConstants, n, 4, { seed: 2 });
  const probe = new Float64Array([1000, 0, -1000, 0]); // wild values in the constant columns
  const base = new Float64Array([5, 0, -1, 0]);
  assert.equal(forest.scoreRow(probe), forest.scoreRow(base));
  const attribution = forest.attribute(withConstants, 0);
  assert.equal(attribution[0], 0);
  assert.equal(attribution[2], 0);
});

Deno.test("all-constant data makes every tree one leaf and every score exactly 0.5", () => {
  const data = new Float64Array(100 * 3).fill(2);
  const forest = fitForest(data, 100, 3, { seed: 1 });
  // Every tree is a single leaf holding all psi rows: E[h] = c(psi), score = 0.5.
  assert.ok(Math.abs(forest.scoreRow(data) - 0.5) < 1e-12);
});

Deno.test("fewer rows than sampleSize: psi becomes n and the depth limit follows", () => {
  const data = gaussianRows(40, 3, 5);
  const forest = fitForest(data, 40, 3, { seed: 1 });
  assert.equal(forest.sampleSize, 40);
  assert.equal(forest.depth, 6);
  const scores = forest.scoreAll(data);
  assert.ok(scores.every((s) => s > 0 && s < 1));
});

Deno.test("attribute() credits the feature in which a point is extreme", () => {
  const n = 512;
  const data = gaussianRows(n, 4, 6);
  for (const k of [0, 2, 3]) {
    const forest = fitForest(data, n, 4, { seed: k + 1 });
    const probe = new Float64Array([0, 0, 0, 0]);
    probe[k] = 9;
    const attribution = forest.attribute(probe);
    const best = attribution.indexOf(Math.max(...attribution));
    assert.equal(best, k);
    // The credits telescope to c(psi) - E[h].
    const total = attribution.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - (averagePathLength(256) - forest.pathLength(probe))) < 1e-9);
  }
});

Deno.test("fitForest() rejects bad shapes and options with RangeError", () => {
  const data = gaussianRows(10, 2, 1);
  assert.throws(() => fitForest(data, 1, 2), /at least 2 rows/);
  assert.throws(() => fitForest(data, 10, 0), RangeError);
  assert.throws(() => fitForest(data, 11, 2), /cannot hold/);
  assert.throws(() => fitForest(data, 10, 2, { trees: 0 }), /trees/);
  assert.throws(() => fitForest(data, 10, 2, { sampleSize: 1 }), /sampleSize/);
  assert.throws(() => fitForest(data, 10, 2).scoreAll(new Float64Array(3)), /whole number/);
});

Deno.test("growForest() yields every few trees and grows the same forest as fitForest()", () => {
  const data = gaussianRows(600, 3, 12);
  const steps = growForest(data, 600, 3, { seed: 6, trees: 25 }, 10);
  const yielded: number[] = [];
  let step = steps.next();
  while (!step.done) {
    yielded.push(step.value);
    step = steps.next();
  }
  assert.deepEqual(yielded, [10, 20]);
  assert.deepEqual(step.value.toJSON(), fitForest(data, 600, 3, { seed: 6, trees: 25 }).toJSON());
});

Deno.test("on Int16 whole numbers, the same trees with 2-byte thresholds, the same scores", () => {
  const floats = gaussianRows(400, 3, 5).map((v) => Math.round(v * 100));
  const codes = fitForest(Int16Array.from(floats), 400, 3, { seed: 2, trees: 20 });
  const plain = fitForest(floats, 400, 3, { seed: 2, trees: 20 });
  const [a, b] = [codes.toJSON(), plain.toJSON()];
  assert.deepEqual([a.treeStart, a.feature, a.left, a.right], [
    b.treeStart,
    b.feature,
    b.left,
    b.right,
  ]);
  assert.equal(a.thresholdType, "int16");
  assert.deepEqual(codes.scoreAll(floats), plain.scoreAll(floats));
  const loaded = IsolationForest.fromJSON(JSON.parse(JSON.stringify(codes)));
  assert.deepEqual(loaded.scoreAll(floats), codes.scoreAll(floats));
  assert.equal(codes.byteLength, plain.byteLength - 2 * Buffer.from(a.feature, "base64").length);
});

Deno.test("a feature whose values no float32 threshold separates counts as constant", () => {
  const data = new Float64Array(200);
  for (let i = 0; i < 100; i++) {
    data[2 * i] = 1 + (i % 2 === 0 ? 1e-12 : 2e-12);
    data[2 * i + 1] = 7;
  }
  const forest = fitForest(data, 100, 2, { seed: 1, trees: 5 });
  assert.equal(forest.scoreRow(data, 0), 0.5);
  assert.equal(forest.byteLength, 6 * 4); // treeStart only: every tree is one leaf
});

Deno.test("a forest holds only the nodes grown: 8 bytes per split, leaves free", () => {
  const forest = fitForest(gaussianRows(1000, 4, 3), 1000, 4, { seed: 1 });
  const splits = (forest.byteLength - 101 * 4) / 8;
  assert.ok(Number.isInteger(splits) && splits > 100 && splits < 100 * 255);
  const json = forest.toJSON();
  assert.equal(Buffer.from(json.threshold, "base64").byteLength, splits * 4);
});

Deno.test("fromJSON() rejects children that point back up a tree (a loop)", () => {
  const json = fitForest(gaussianRows(50, 2, 1), 50, 2, { trees: 2 }).toJSON();
  const zeros = Buffer.alloc(Buffer.from(json.right, "base64").byteLength).toString("base64");
  assert.throws(() => IsolationForest.fromJSON({ ...json, right: zeros }), /child 0 of node 0/);
  const full = Buffer.alloc(Buffer.from(json.left, "base64").byteLength, 255).toString("base64");
  assert.throws(() => IsolationForest.fromJSON({ ...json, left: full }), /left child 255/);
});

Deno.test("psi above 256 and above 2^15 (wider child arrays) still round-trips bit for bit", () => {
  for (const n of [300, 40_000]) {
    const data = gaussianRows(n, 2, 4);
    const forest = fitForest(data, n, 2, { seed: 1, trees: 2, sampleSize: n });
    const loaded = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest)));
    assert.deepEqual(loaded.scoreAll(data), forest.scoreAll(data));
    assert.deepEqual(loaded.attribute(data, 0), forest.attribute(data, 0));
    const all = forest.scoreAll(data);
    for (let r = 0; r < n; r += 997) assert.equal(forest.scoreRow(data, 2 * r), all[r]);
  }
});
