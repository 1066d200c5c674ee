import assert from "node:assert/strict";
import { LIMITS } from "../../src/protocol/limits.ts";
import { SamplesSchema } from "../../src/protocol/messages.ts";
import { flattenSample, parseDeviceKey } from "../../src/protocol/metrics.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { parseMasterFrame, parseWorkerFrame, validateFrame } from "../../src/protocol/validate.ts";

const sample: Sample = {
  ts: 1763700000000,
  seq: 42,
  machineId: "3d1219c7",
  hostname: "web-1",
  cpu: { usage: 12.5, user: 8.1, system: 3.2, iowait: 0.4, steal: 0, cores: [10.2, 14.8] },
  mem: { total: 8e9, used: 2e9, available: 6e9, usedPct: 25, swapTotal: 0, swapUsed: 0 },
  load: { "1": 0.2, "5": 0.1, "15": 0.1 },
  disks: [{ name: "vda", readBps: 0, writeBps: 4096, readIops: 0, writeIops: 1, utilPct: 0.1 }],
  filesystems: [{ mount: "/", fstype: "ext4", size: 1e11, used: 2e10, usedPct: 20 }],
  net: [{ iface: "eth0", rxBps: 100, txBps: 50, rxPps: 1, txPps: 1, rxErrors: 0, txErrors: 0 }],
  uptime: 3600,
  procs: 120,
};

const hello = {
  type: "hello",
  v: 1,
  token: "t0ken-t0ken",
  machineId: "3d1219c7",
  hostname: "web-1",
  os: "linux",
  arch: "x86_64",
  cores: 2,
  memTotal: 8e9,
  agentVersion: "0.1.0",
  intervalMs: 1000,
};

function frame(samples: unknown[]) {
  return JSON.stringify({ type: "samples", v: 1, samples });
}

function reasonOf(text: string): string {
  const result = parseWorkerFrame(text);
  assert.equal(result.ok, false, text.slice(0, 100));
  return (result as { reason: string }).reason;
}

Deno.test("parseWorkerFrame() accepts the documented hello and samples frames", () => {
  const h = parseWorkerFrame(JSON.stringify(hello));
  assert.ok(h.ok && h.frame.type === "hello");
  const s = parseWorkerFrame(frame([sample]));
  assert.ok(s.ok && s.frame.type === "samples");
  assert.deepEqual(s.ok && s.frame.type === "samples" && s.frame.samples[0], sample);
});

Deno.test("first-sample rates may be null", () => {
  const first = {
    ...sample,
    cpu: { usage: null, user: null, system: null },
    disks: [{ ...sample.disks![0], readBps: null }],
  };
  assert.ok(parseWorkerFrame(frame([first])).ok);
});

Deno.test("parseWorkerFrame() refuses garbage, non-objects and unknown types with a reason", () => {
  assert.equal(reasonOf("{not json"), "frame is not valid JSON");
  assert.equal(reasonOf("[1,2]"), "frame must be a JSON object");
  assert.equal(reasonOf("null"), "frame must be a JSON object");
  assert.equal(reasonOf('{"type":"shutdown","v":1}'), 'type: must be "hello" or "samples"');
  assert.match(reasonOf('{"v":1}'), /^type: /);
});

Deno.test("parseWorkerFrame() refuses another protocol version", () => {
  assert.equal(reasonOf(JSON.stringify({ ...hello, v: 99 })), "unsupported protocol version 99");
});

Deno.test("missing fields and wrong types are named by path", () => {
  const { token: _token, ...noToken } = hello;
  assert.equal(reasonOf(JSON.stringify(noToken)), "token: required");
  assert.equal(
    reasonOf(frame([{ ...sample, cpu: { ...sample.cpu, usage: 140 } }])),
    "samples[0].cpu.usage: must be <= 100",
  );
  assert.equal(
    reasonOf(frame([{ ...sample, filesystems: [{ ...sample.filesystems![0], mount: 7 }] }])),
    "samples[0].filesystems[0].mount: must be string",
  );
  assert.match(reasonOf(frame([{ ...sample, seq: "42" }])), /^samples\[0\]\.seq: /);
  assert.match(reasonOf(frame([{ ...sample, seq: 1.5 }])), /^samples\[0\]\.seq: /);
  assert.match(
    reasonOf(frame([{ ...sample, cpu: { ...sample.cpu, usage: 140 } }])),
    /^samples\[0\]\.cpu\.usage: /,
  );
  assert.match(
    reasonOf(frame([{ ...sample, mem: { ...sample.mem, used: -1 } }])),
    /^samples\[0\]\.mem\.used: /,
  );
});

Deno.test("NaN and Infinity are refused even when they arrive in-process", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const result = validateFrame(
      { type: "samples", v: 1, samples: [{ ...sample, uptime: bad }] },
      SamplesSchema,
    );
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /^samples\[0\]\.uptime: /);
  }
  assert.match(reasonOf(frame([sample]).replace('"uptime":3600', '"uptime":1e999')), /uptime/);
});

Deno.test("oversized strings, arrays, batches and frames are refused", () => {
  assert.match(
    reasonOf(JSON.stringify({ ...hello, hostname: "h".repeat(LIMITS.maxStringLength + 1) })),
    /^hostname: /,
  );
  const cores = new Array(LIMITS.maxArrayLength + 1).fill(1);
  assert.match(
    reasonOf(frame([{ ...sample, cpu: { ...sample.cpu, cores } }])),
    /^samples\[0\]\.cpu\.cores: /,
  );
  const many = Array.from(
    { length: LIMITS.maxSamplesPerFrame + 1 },
    (_, i) => ({ ...sample, seq: i }),
  );
  assert.match(reasonOf(frame(many)), /^samples: /);
  assert.match(reasonOf(frame([])), /^samples: /);
  const huge = parseWorkerFrame(
    JSON.stringify({ ...hello, pad: "x".repeat(LIMITS.maxFrameBytes) }),
  );
  assert.ok(!huge.ok && huge.tooLarge);
  const multibyte = parseWorkerFrame("€".repeat(Math.ceil(LIMITS.maxFrameBytes / 3) + 1));
  assert.ok(!multibyte.ok && multibyte.tooLarge);
});

Deno.test("unknown sample fields are dropped, not stored", () => {
  const result = parseWorkerFrame(frame([{ ...sample, extra: { nested: true } }]));
  assert.ok(result.ok && result.frame.type === "samples");
  assert.equal("extra" in result.frame.samples[0], false);
});

Deno.test("parseMasterFrame() accepts welcome and ack and refuses the rest", () => {
  assert.ok(
    parseMasterFrame('{"type":"welcome","v":1,"machineId":"m","name":"n","lastSeq":-1}').ok,
  );
  assert.ok(parseMasterFrame('{"type":"ack","v":1,"seq":41}').ok);
  assert.equal(parseMasterFrame('{"type":"ack","v":1,"seq":-2}').ok, false);
  assert.equal(parseMasterFrame(JSON.stringify(hello)).ok, false);
});

Deno.test("flattenSample() names scalar and per-device series and leaves out nulls", () => {
  const flat = flattenSample({ ...sample, cpu: { ...sample.cpu!, iowait: null } });
  assert.equal(flat.get("cpu.usage"), 12.5);
  assert.equal(flat.has("cpu.iowait"), false);
  assert.equal(flat.get("core:1:usage"), 14.8);
  assert.equal(flat.get("disk:vda:writeBps"), 4096);
  assert.equal(flat.get("net:eth0:rxBps"), 100);
  assert.equal(flat.get("fs:/:usedPct"), 20);
  assert.equal(flat.get("load.15"), 0.1);
});

Deno.test("parseDeviceKey() keeps colons and dots inside device names", () => {
  assert.deepEqual(parseDeviceKey("fs:/mnt/a:b.c:usedPct"), {
    family: "fs",
    name: "/mnt/a:b.c",
    field: "usedPct",
  });
  assert.equal(parseDeviceKey("cpu.usage"), undefined);
});
