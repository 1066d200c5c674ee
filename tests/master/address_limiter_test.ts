import assert from "node:assert/strict";
import { createAddressLimiter } from "../../src/master/address_limiter.ts";

Deno.test("an address may fail `burst` times, then waits for its bucket to refill", () => {
  const limiter = createAddressLimiter({ burst: 3, perSecond: 0.5 });
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.allows("a", 0), true);
    limiter.fail("a", 0);
  }
  assert.equal(limiter.allows("a", 0), false);
  assert.equal(limiter.retryAfterS("a", 0), 2);
  assert.equal(limiter.allows("b", 0), true, "other addresses keep their own budget");
  assert.equal(limiter.allows("a", 1999), false);
  assert.equal(limiter.allows("a", 2000), true);
  assert.equal(limiter.retryAfterS("a", 2000), 0);
});

Deno.test("the limiter forgets the least recently failing address past its size", () => {
  const limiter = createAddressLimiter({ burst: 1, perSecond: 1, maxAddresses: 2 });
  limiter.fail("a", 0);
  limiter.fail("b", 0);
  limiter.fail("a", 0); // a is now the most recent
  limiter.fail("c", 0);
  assert.equal(limiter.size, 2);
  assert.equal(limiter.allows("b", 0), true, "b was forgotten");
  assert.equal(limiter.allows("a", 0), false);
  assert.equal(limiter.allows("c", 0), false);
});

Deno.test("the limiter refuses a burst below 1 or a rate of 0", () => {
  assert.throws(() => createAddressLimiter({ burst: 0, perSecond: 1 }), RangeError);
  assert.throws(() => createAddressLimiter({ burst: 1, perSecond: 0 }), RangeError);
});
