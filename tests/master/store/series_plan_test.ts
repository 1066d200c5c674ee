import assert from "node:assert/strict";
import { planBuckets, tierFallbacks, tierForRange } from "../../../src/master/store/series_plan.ts";

const H = 3_600_000;

Deno.test("tierForRange() reads raw up to 6 h, minutes up to 30 d, hours beyond", () => {
  assert.equal(tierForRange(0), "raw");
  assert.equal(tierForRange(6 * H), "raw");
  assert.equal(tierForRange(6 * H + 1), "minute");
  assert.equal(tierForRange(30 * 24 * H), "minute");
  assert.equal(tierForRange(30 * 24 * H + 1), "hour");
});

Deno.test("tierFallbacks() tries the chosen tier, then finer ones, then coarser ones", () => {
  assert.deepEqual(tierFallbacks("hour"), ["hour", "minute", "raw"]);
  assert.deepEqual(tierFallbacks("minute"), ["minute", "raw", "hour"]);
  assert.deepEqual(tierFallbacks("raw"), ["raw", "minute", "hour"]);
});

Deno.test("planBuckets() aligns buckets to multiples of the step and never exceeds points", () => {
  for (
    const [from, to, points, res] of [
      [1_000_500, 1_000_500 + 24 * H, 1000, 1000],
      [7, 7 + 24 * H, 1000, 60_000],
      [0, 999, 1000, 1000],
      [123_456_789, 123_456_789 + 400 * 24 * H, 10_000, H],
      [5, 5, 1, 1000],
    ]
  ) {
    const plan = planBuckets(from, to, points, res);
    assert.ok(plan.count <= points, `count ${plan.count} > ${points}`);
    assert.equal(plan.step % res, 0);
    assert.equal(plan.start % plan.step, 0);
    assert.ok(plan.start <= from);
    assert.ok(plan.start + plan.count * plan.step > to);
  }
});

Deno.test("planBuckets() uses the tier resolution when points allow finer buckets", () => {
  assert.deepEqual(planBuckets(60_000, 180_000, 1000, 60_000), {
    start: 60_000,
    step: 60_000,
    count: 3,
  });
});

Deno.test("planBuckets() rejects reversed ranges and bad point counts", () => {
  assert.throws(() => planBuckets(10, 5, 100, 1000), /reversed/);
  assert.throws(() => planBuckets(0, 5, 0, 1000), RangeError);
  assert.throws(() => planBuckets(0, 5, 10_001, 1000), RangeError);
  assert.throws(() => planBuckets(0, 5, 1.5, 1000), RangeError);
  assert.throws(() => planBuckets(NaN, 5, 10, 1000), /finite/);
});
