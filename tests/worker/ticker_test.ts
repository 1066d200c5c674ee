import assert from "node:assert/strict";
import { nextBoundary, startTicker } from "../../src/worker/ticker.ts";

Deno.test("nextBoundary() gives the next wall-clock multiple of the interval", () => {
  assert.equal(nextBoundary(1_000_000_123, 1000), 1_000_001_000);
  assert.equal(nextBoundary(1_000_000_000, 1000), 1_000_001_000);
  assert.equal(nextBoundary(1_000_000_999, 250), 1_000_001_000);
  assert.equal(nextBoundary(59_999, 60_000), 60_000);
});

Deno.test("startTicker() skips boundaries during a slow tick instead of overlapping it", async () => {
  const fired: number[] = [];
  let active = 0;
  let maxActive = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const ticker = startTicker(20, async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    fired.push(Date.now());
    await new Promise((r) => setTimeout(r, fired.length === 2 ? 45 : 0));
    active--;
    if (fired.length === 5) resolve();
  });
  await promise;
  ticker.stop();
  assert.equal(maxActive, 1);
  // The slow second tick (45 ms) spans two boundaries: they are skipped, not queued.
  assert.ok(fired[2] - fired[1] >= 45, `third tick ${fired[2] - fired[1]} ms after the second`);
});

Deno.test("startTicker() rejects a non-positive interval", () => {
  assert.throws(() => startTicker(0, () => Promise.resolve()), RangeError);
});
