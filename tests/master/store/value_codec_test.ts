import assert from "node:assert/strict";
import { decodeValues, encodeValues, storedValue } from "../../../src/master/store/value_codec.ts";

function roundTrip(values: number[]): number[] {
  const out = new Float64Array(values.length);
  decodeValues(encodeValues(values), values.length, out);
  return [...out];
}

Deno.test("encodeValues() keeps integers exact, including large and negative ones", () => {
  const values = [0, 1, -1, 63, 64, -64, 127, 128, 16_777_216_000, -(2 ** 50), 2 ** 51 - 1];
  assert.deepEqual(roundTrip(values), values);
});

Deno.test("encodeValues() keeps fractions to float32 precision", () => {
  const values = [12.5, 0.1, 99.99, 1234567.891, -3.75];
  assert.deepEqual(roundTrip(values), values.map((v) => Math.fround(v)));
  assert.deepEqual(roundTrip(values), values.map(storedValue));
});

Deno.test("encodeValues() keeps values float32 cannot hold as float64", () => {
  const values = [1e40, -1e300, 1e-35, 2 ** 60];
  assert.deepEqual(roundTrip(values), values);
});

Deno.test("encodeValues() stores small integers in one byte", () => {
  assert.equal(encodeValues([0, 5, 31, -31]).length, 4);
});

Deno.test("decodeValues() rejects a blob shorter than announced", () => {
  const blob = encodeValues([1.5, 2]);
  assert.throws(() => decodeValues(blob, 3, new Float64Array(3)), RangeError);
  assert.throws(() => decodeValues(blob.subarray(0, 3), 1, new Float64Array(1)), RangeError);
});

Deno.test("decodeValues() rejects an unknown header", () => {
  assert.throws(() => decodeValues(new Uint8Array([5]), 1, new Float64Array(1)), /unknown header/);
});
