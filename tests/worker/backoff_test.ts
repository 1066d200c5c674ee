import assert from "node:assert/strict";
import { createBackoff } from "../../src/worker/backoff.ts";

Deno.test("createBackoff() doubles the delay per attempt up to the cap", () => {
  const backoff = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 0.999999 });
  const delays = Array.from({ length: 10 }, () => backoff.next());
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

Deno.test("createBackoff() keeps each delay within [base/2, base]", () => {
  const low = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 0 });
  assert.deepEqual([low.next(), low.next(), low.next()], [250, 500, 1000]);
  const backoff = createBackoff({ initialMs: 500, maxMs: 30_000 });
  for (let i = 0; i < 50; i++) {
    const base = Math.min(30_000, 500 * 2 ** i);
    const delay = backoff.next();
    assert.ok(
      delay >= base / 2 && delay <= base,
      `attempt ${i}: ${delay} not in [${base / 2}, ${base}]`,
    );
  }
});

Deno.test("createBackoff() starts over after reset()", () => {
  const backoff = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 1 - 1e-9 });
  backoff.next();
  backoff.next();
  assert.equal(backoff.attempts, 2);
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  assert.equal(backoff.next(), 100);
});

Deno.test("createBackoff() rejects a cap below the first delay", () => {
  assert.throws(() => createBackoff({ initialMs: 1000, maxMs: 10 }), RangeError);
  assert.throws(() => createBackoff({ initialMs: 0, maxMs: 10 }), RangeError);
});
