import assert from "node:assert/strict";
import { parseMasterFrame } from "../../src/protocol/validate.ts";
import { parseMasterFrameLite } from "../../src/worker/master_frames.ts";

const long = (n: number) => "x".repeat(n);

const FRAMES: string[] = [
  '{"type":"ack","v":1,"seq":5}',
  '{"type":"ack","v":1,"seq":-1}',
  '{"type":"ack","v":1,"seq":-2}',
  '{"type":"ack","v":1,"seq":1.5}',
  '{"type":"ack","v":1,"seq":"5"}',
  '{"type":"ack","v":1}',
  '{"type":"ack","v":2,"seq":5}',
  '{"type":"ack","seq":5}',
  '{"type":"ack","v":1,"seq":9007199254740993}',
  '{"type":"ack","v":1,"seq":5,"extra":true}',
  '{"type":"welcome","v":1,"machineId":"m","name":"n","lastSeq":-1}',
  '{"type":"welcome","v":1,"machineId":"","name":"n","lastSeq":3}',
  `{"type":"welcome","v":1,"machineId":"${long(128)}","name":"${long(256)}","lastSeq":3}`,
  `{"type":"welcome","v":1,"machineId":"${long(129)}","name":"n","lastSeq":3}`,
  `{"type":"welcome","v":1,"machineId":"m","name":"${long(257)}","lastSeq":3}`,
  '{"type":"welcome","v":1,"machineId":"m","lastSeq":3}',
  '{"type":"welcome","v":1,"machineId":"m","name":"n","lastSeq":null}',
  '{"type":"hello","v":1}',
  '{"type":"samples","v":1,"samples":[]}',
  '{"v":1}',
  "[]",
  "null",
  "42",
  "not json",
  `{"type":"ack","v":1,"seq":5,"pad":"${long(1024 * 1024)}"}`,
];

Deno.test("parseMasterFrameLite() accepts and rejects exactly what MasterFrameSchema does", () => {
  for (const text of FRAMES) {
    const lite = parseMasterFrameLite(text);
    const full = parseMasterFrame(text);
    assert.equal(lite.ok, full.ok, `${text.slice(0, 80)}: lite ${lite.ok}, zod ${full.ok}`);
    if (lite.ok && full.ok) assert.deepEqual(lite.frame, full.frame);
    if (!lite.ok) assert.ok(lite.reason.length > 0);
  }
});

Deno.test("parseMasterFrameLite() names the field at fault", () => {
  const result = parseMasterFrameLite('{"type":"ack","v":1,"seq":"x"}');
  assert.equal(result.ok, false);
  assert.match((result as { reason: string }).reason, /^seq: /);
  const tooLarge = parseMasterFrameLite(`"${long(1024 * 1024 + 1)}"`);
  assert.equal(tooLarge.ok === false && tooLarge.tooLarge, true);
});
