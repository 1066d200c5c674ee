import assert from "node:assert/strict";
import { FleetState } from "../../src/master/fleet_state.ts";
import { createNullDetection } from "../../src/master/detection_port.ts";
import { HandshakeGate } from "../../src/master/handshake_gate.ts";
import { IngestHub } from "../../src/master/ingest_hub.ts";
import { createIngestStats } from "../../src/master/ingest_stats.ts";
import { acceptWorkerConnection } from "../../src/master/worker_connection.ts";
import { CLOSE } from "../../src/protocol/messages.ts";
import { LIMITS } from "../../src/protocol/limits.ts";
import { createMemoryStore } from "./memory_store.ts";
import { JOIN_TOKEN, makeHello, makeSample } from "./test_master.ts";

function setup() {
  let clock = 1_000_000;
  const sent: string[] = [];
  const closes: { code: number; reason: string }[] = [];
  const stats = createIngestStats();
  const hub = new IngestHub({
    store: createMemoryStore(),
    detection: createNullDetection(),
    fleet: new FleetState(),
    stats,
    log: () => {},
    now: () => clock,
  });
  const connection = acceptWorkerConnection({
    send: (text) => sent.push(text),
    close: (code, reason) => closes.push({ code, reason }),
  }, { hub, stats, joinToken: JOIN_TOKEN, log: () => {}, peer: "test", now: () => clock });
  return {
    connection,
    sent,
    closes,
    stats,
    advance: (ms: number) => (clock += ms),
  };
}

Deno.test("the frame after the allowed burst is refused with 4004 and the reason", () => {
  const { connection, closes, sent } = setup();
  connection.onMessage(JSON.stringify(makeHello("m1")));
  assert.equal(JSON.parse(sent[0]).type, "welcome");
  for (let i = 1; i < LIMITS.maxFramesPerSecond; i++) {
    connection.onMessage(JSON.stringify({ type: "samples", v: 1, samples: [makeSample("m1", i)] }));
  }
  assert.deepEqual(closes, []);
  connection.onMessage(JSON.stringify({ type: "samples", v: 1, samples: [makeSample("m1", 99)] }));
  assert.deepEqual(closes, [{
    code: CLOSE.rateLimited,
    reason: `more than ${LIMITS.maxFramesPerSecond} frames per second`,
  }]);
  connection.onClose();
});

Deno.test("frames at the allowed rate are never refused", () => {
  const { connection, closes, advance } = setup();
  connection.onMessage(JSON.stringify(makeHello("m1")));
  for (let i = 0; i < 500; i++) {
    advance(1000 / LIMITS.maxFramesPerSecond);
    connection.onMessage(JSON.stringify({ type: "samples", v: 1, samples: [makeSample("m1", i)] }));
  }
  assert.deepEqual(closes, []);
  connection.onClose();
});

Deno.test("close reasons are cut to the 123 bytes a WebSocket close frame allows", () => {
  const { connection, closes } = setup();
  connection.onMessage(JSON.stringify(makeHello("m1")));
  const long = "é".repeat(300);
  const sample = { ...makeSample("m1", 0), disks: [{ name: long }] };
  connection.onMessage(JSON.stringify({ type: "samples", v: 1, samples: [sample] }));
  assert.equal(closes[0].code, CLOSE.invalidFrame);
  assert.ok(new TextEncoder().encode(closes[0].reason).length <= 123);
  connection.onClose();
});

Deno.test("binary frames are refused: unauthorized before hello, invalid after", () => {
  const before = setup();
  before.connection.onMessage(new ArrayBuffer(8));
  assert.deepEqual(before.closes, [{ code: CLOSE.unauthorized, reason: "unauthorized" }]);
  const after = setup();
  after.connection.onMessage(JSON.stringify(makeHello("m1")));
  after.connection.onMessage(new ArrayBuffer(8));
  assert.equal(after.closes[0].code, CLOSE.invalidFrame);
  after.connection.onClose();
});

Deno.test("an oversized first frame is refused as unauthorized before any parsing", () => {
  const { connection, closes } = setup();
  const hello = { ...makeHello("m1"), padding: "x".repeat(64 * 1024) };
  connection.onMessage(JSON.stringify(hello));
  assert.deepEqual(closes, [{ code: CLOSE.unauthorized, reason: "unauthorized" }]);
});

Deno.test("connections beyond the pending-handshake cap are closed with 1013; the slot frees after hello", () => {
  const stats = createIngestStats();
  const hub = new IngestHub({
    store: createMemoryStore(),
    detection: createNullDetection(),
    fleet: new FleetState(),
    stats,
    log: () => {},
  });
  const gate = new HandshakeGate({ maxPending: 2 });
  const open = () => {
    const closes: number[] = [];
    const sent: string[] = [];
    const connection = acceptWorkerConnection({
      send: (text) => sent.push(text),
      close: (code) => closes.push(code),
    }, { hub, stats, joinToken: JOIN_TOKEN, log: () => {}, peer: "test", gate });
    return { connection, closes, sent };
  };
  const a = open();
  const b = open();
  const c = open();
  assert.deepEqual([a.closes, b.closes, c.closes], [[], [], [1013]]);
  a.connection.onMessage(JSON.stringify(makeHello("a")));
  assert.equal(JSON.parse(a.sent[0]).type, "welcome");
  assert.equal(gate.pending, 1);
  const d = open();
  assert.deepEqual(d.closes, []);
  for (const x of [a, b, c, d]) x.connection.onClose();
  assert.equal(gate.pending, 0);
});

Deno.test("a holder silent past the offline threshold is replaced by a new connection for its machine", () => {
  let clock = 1_000_000;
  const stats = createIngestStats();
  const fleet = new FleetState();
  const hub = new IngestHub({
    store: createMemoryStore(),
    detection: createNullDetection(),
    fleet,
    stats,
    log: () => {},
    now: () => clock,
  });
  const open = () => {
    const closes: { code: number; reason: string }[] = [];
    const sent: string[] = [];
    const connection = acceptWorkerConnection({
      send: (text) => sent.push(text),
      close: (code, reason) => closes.push({ code, reason }),
    }, { hub, stats, joinToken: JOIN_TOKEN, log: () => {}, peer: "test", now: () => clock });
    connection.onMessage(JSON.stringify(makeHello("m1")));
    return { connection, closes, sent };
  };
  const first = open();
  clock += 4000; // within the 5 s threshold: the first still holds the machine
  const early = open();
  assert.equal(early.closes[0].code, CLOSE.duplicateMachine);
  clock += 2000; // 6 s of silence
  const second = open();
  assert.equal(JSON.parse(second.sent[0]).type, "welcome");
  assert.deepEqual(first.closes, [{
    code: CLOSE.duplicateMachine,
    reason: "replaced by a newer connection for this machine",
  }]);
  assert.equal(fleet.get("m1")?.online, true);
  for (const c of [first, early, second]) c.connection.onClose();
});
