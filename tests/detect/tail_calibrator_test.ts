import assert from "node:assert/strict";
import { Random } from "../../src/detect/random.ts";
import { TailCalibrator } from "../../src/detect/tail_calibrator.ts";

Deno.test("rarity matches how often exponential values reach a level", () => {
  const rng = new Random(7);
  const c = new TailCalibrator(4096, 1, 0.01);
  for (let i = 0; i < 4096; i++) c.push(-Math.log(1 - rng.nextFloat()));
  c.refit();
  // P(X >= s) = e^-s for Exp(1): -log10 of it is s / ln 10.
  for (const s of [4, 6, 8]) {
    const expected = s / Math.LN10;
    assert.ok(Math.abs(c.rarity(s) - expected) < 0.4, `s=${s}: ${c.rarity(s)} vs ${expected}`);
  }
});

Deno.test("rarity is monotone, 0 before the first fit, and finite beyond the largest value", () => {
  const c = new TailCalibrator(64, 4, 0.05);
  assert.equal(c.rarity(100), 0);
  for (let i = 0; i < 64; i++) c.push(i % 10);
  c.refit();
  let last = -Infinity;
  for (let s = 0; s < 50; s += 0.5) {
    const r = c.rarity(s);
    assert.ok(r >= last && Number.isFinite(r), `s=${s}`);
    last = r;
  }
});

Deno.test("the ring doubles its stride when full, up to maxStride, keeping block maxima", () => {
  const c = new TailCalibrator(20, 4, 0.05);
  for (let i = 0; i < 20; i++) c.push(i === 3 ? 50 : 1);
  assert.equal(c.stride, 1);
  c.push(1);
  assert.equal(c.stride, 2);
  for (let i = 0; i < 400; i++) c.push(1);
  assert.equal(c.stride, 4);
  c.refit();
  assert.ok(c.fit!.max < 2, "the old spike has left the ring");
});

Deno.test("per-day rarity is comparable across strides and sampling rates", () => {
  const c = new TailCalibrator(64, 1, 0.05);
  for (let i = 0; i < 64; i++) c.push(i % 8);
  c.refit();
  assert.equal(c.rarityPerDay(5, 86_400) - c.rarityPerDay(5, 864), -2);
});

Deno.test("TailCalibrator rejects a bad capacity, stride or scale", () => {
  assert.throws(() => new TailCalibrator(10, 1, 0.1), /capacity/);
  assert.throws(() => new TailCalibrator(21, 1, 0.1), /capacity/);
  assert.throws(() => new TailCalibrator(64, 3, 0.1), /power of two/);
  assert.throws(() => new TailCalibrator(64, 1, 0), /minScale/);
});
