import assert from "node:assert/strict";
import {
  counterDelta,
  counterRate,
  parseCounter,
} from "../../../src/worker/collectors/counters.ts";

Deno.test("counterDelta() is the plain difference while the counter grows", () => {
  assert.equal(counterDelta(100, 250), 150);
  assert.equal(counterDelta(7, 7), 0);
});

Deno.test("counterDelta() handles a 32-bit wrap", () => {
  assert.equal(counterDelta(2 ** 32 - 10, 5), 15);
});

Deno.test("counterDelta() handles a 64-bit wrap", () => {
  assert.equal(counterDelta(2 ** 64 - 2 ** 20, 2 ** 20), 2 ** 21);
});

Deno.test("counterDelta() calls a counter that fell back to near zero a reset: null, never negative", () => {
  assert.equal(counterDelta(1_000_000, 12), null);
  assert.equal(counterDelta(2 ** 40, 3), null);
  assert.equal(counterDelta(Number.NaN, 3), null);
  // half way up a 32-bit range and back to small: more likely a reset than a wrap
  assert.equal(counterDelta(3_000_000_000, 10), null);
});

Deno.test("counterRate() is per second over the elapsed milliseconds", () => {
  assert.equal(counterRate(0, 500, 250), 2000);
  assert.equal(counterRate(0, 500, 0), null);
  assert.equal(counterRate(900, 10, 1000), null);
});

Deno.test("parseCounter() rejects anything but digits", () => {
  assert.equal(parseCounter("18446744073709551615", "x"), 2 ** 64);
  assert.throws(() => parseCounter("-1", "/proc/net/dev line 3"), {
    name: "RangeError",
    message: 'Cannot parse /proc/net/dev line 3: "-1" is not a counter',
  });
  assert.throws(() => parseCounter("", "x"), RangeError);
});
