/** The hand-written protobuf primitives, read back by pbf's reader. */
import assert from "node:assert/strict";
import { PbfReader } from "pbf";
import { ProtobufWriter, varintSize } from "../../src/master/export/protobuf_writer.ts";

const EDGES = [
  0,
  1,
  127,
  128,
  16_383,
  16_384,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 35 + 5,
  1_700_000_000_123,
  Number.MAX_SAFE_INTEGER,
];

Deno.test("varints up to 2^53 read back as written, in the size varintSize says", () => {
  for (const n of EDGES) {
    const w = new ProtobufWriter();
    w.varint(n);
    const bytes = w.bytes();
    assert.equal(bytes.length, varintSize(n), `size of ${n}`);
    assert.equal(new PbfReader(bytes).readVarint(true), n);
  }
});

Deno.test("doubles and raw bytes follow each other; the buffer grows past its first size", () => {
  const w = new ProtobufWriter();
  const values = [0, -1.5, Math.PI, 1e300, -0, Infinity];
  const chunk = new Uint8Array(50_000).fill(7);
  for (const v of values) w.double(v);
  w.raw(chunk);
  w.raw(chunk);
  w.varint(1_700_000_000_123);
  const r = new PbfReader(w.bytes().slice());
  for (const v of values) assert.equal(Object.is(r.readDouble(), v), true);
  r.pos += 100_000;
  assert.equal(r.readVarint(true), 1_700_000_000_123);
  assert.equal(r.pos, w.bytes().length);
  w.reset();
  assert.equal(w.bytes().length, 0);
});
