import assert from "node:assert/strict";
import { DAY_MS, HISTORY_ROWS, HOUR_MS, timeScales } from "../../src/detect/time_scales.ts";

Deno.test("time scales at 1 s: seconds of averaging, hours of memory, an hour to adapt", () => {
  const s = timeScales(1000);
  assert.equal(s.samplesPerDay, 86_400);
  assert.equal(s.short, 3);
  assert.equal(s.horizon, (4 * HOUR_MS) / 1000);
  assert.ok(HISTORY_ROWS * s.maxStride >= s.horizon * 0.7, `stride ${s.maxStride}`);
  assert.ok(s.warmup * 1000 <= 5 * 60_000, "warm-up within minutes");
  assert.equal(s.adapt, HOUR_MS / 1000);
  assert.ok(s.rest >= 10 && s.rest * 1000 <= 10 * 60_000, `rest ${s.rest}`);
});

Deno.test("time scales at 5 min: the same statistics, bounded in time", () => {
  const s = timeScales(300_000);
  assert.equal(s.samplesPerDay, 288);
  assert.equal(s.horizon, 2000);
  assert.ok(s.horizon * 300_000 <= 14 * DAY_MS);
  assert.equal(s.adapt, 200);
  assert.ok(s.adapt * 300_000 <= 3 * DAY_MS && s.adapt * 300_000 >= HOUR_MS);
  assert.equal(Math.log2(s.maxStride) % 1, 0);
});

Deno.test("time scales at 250 ms and 1 h stay within their time bounds", () => {
  const fast = timeScales(250), slow = timeScales(HOUR_MS);
  assert.equal(fast.horizon, (4 * HOUR_MS) / 250);
  assert.equal(fast.adapt, HOUR_MS / 250);
  assert.equal(slow.horizon, 14 * 24);
  assert.equal(slow.adapt, 72);
  for (const s of [fast, slow]) assert.ok(s.maxStride >= 1 && s.warmup > s.mid);
});

Deno.test("timeScales() rejects an interval that is not a positive number", () => {
  for (const bad of [0, -1000, NaN, Infinity]) {
    assert.throws(() => timeScales(bad), RangeError);
  }
});
