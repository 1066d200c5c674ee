import assert from "node:assert/strict";
import { createAnomalyEmitter, createNullDetection } from "../../src/master/detection_port.ts";
import { FleetState } from "../../src/master/fleet_state.ts";
import { LIVE_TOO_SLOW, LiveFeed } from "../../src/master/live_feed.ts";
import type { MachineRow } from "../../src/master/store/store_types.ts";
import type { MemoryStore } from "./memory_store.ts";
import {
  connectWorker,
  makeSample,
  startTestMaster,
  TestSocket,
  UI_TOKEN,
  waitFor,
} from "./test_master.ts";

function liveSocket(http: string, origin: string | undefined, auth = true): TestSocket {
  const headers: Record<string, string> = {};
  if (origin !== undefined) headers.Origin = origin;
  if (auth) headers.Authorization = `Bearer ${UI_TOKEN}`;
  return new TestSocket(`${http.replace("http", "ws")}/ws/live`, headers);
}

Deno.test("/ws/live refuses a foreign Origin with 403 and a missing login with 401", async () => {
  const t = await startTestMaster<MemoryStore>();
  try {
    const upgrade = { Upgrade: "websocket", Connection: "Upgrade" };
    const foreign = await fetch(`${t.http}/ws/live`, {
      headers: { ...upgrade, Origin: "http://evil.example", Authorization: `Bearer ${UI_TOKEN}` },
    });
    await foreign.body?.cancel();
    assert.equal(foreign.status, 403);
    const noOrigin = await fetch(`${t.http}/ws/live`, {
      headers: { ...upgrade, Authorization: `Bearer ${UI_TOKEN}` },
    });
    await noOrigin.body?.cancel();
    assert.equal(noOrigin.status, 403);
    const noAuth = await fetch(`${t.http}/ws/live`, { headers: { ...upgrade, Origin: t.http } });
    await noAuth.body?.cancel();
    assert.equal(noAuth.status, 401);
    const socket = liveSocket(t.http, "http://evil.example");
    await assert.rejects(socket.opened);
    await socket.closed;
  } finally {
    await t.close();
  }
});

Deno.test("/ws/live says hello, ticks reporting machines, pushes status changes and subscribed samples", async () => {
  const t = await startTestMaster<MemoryStore>();
  try {
    const live = liveSocket(t.http, t.http);
    await live.opened;
    const hello = await live.next();
    assert.equal(hello.type, "hello");
    assert.equal(hello.publicUi, false);
    assert.equal(typeof hello.serverTime, "number");

    const worker = await connectWorker(t.ws, "m1");
    const appeared = await live.nextOfType<{ machine: { id: string; online: boolean } }>("machine");
    assert.equal(appeared.machine.id, "m1");
    assert.equal(appeared.machine.online, true);

    live.send({ type: "subscribe", machineIds: ["m1"] });
    await new Promise((r) => setTimeout(r, 20)); // let the subscription land first
    worker.socket.send({ type: "samples", v: 1, samples: [makeSample("m1", 0)] });
    const sample = await live.nextOfType<Record<string, unknown>>("sample");
    assert.equal(sample.machineId, "m1");
    assert.equal((sample.sample as { seq: number }).seq, 0);
    assert.deepEqual(sample.verdict, { score: null, anomalous: false, reason: null });

    const tick = await live.nextOfType<{ machines: Record<string, unknown>[] }>("tick");
    assert.deepEqual(tick.machines, [{
      id: "m1",
      ts: (sample.sample as { ts: number }).ts,
      cpu: 10,
      mem: 50,
      diskBps: 300,
      netBps: 1500,
      score: null,
      anomalous: false,
    }]);

    await worker.socket.close();
    const gone = await live.nextOfType<{ machine: { id: string; online: boolean } }>("machine");
    assert.deepEqual([gone.machine.id, gone.machine.online], ["m1", false]);
    await live.close();
  } finally {
    await t.close();
  }
});

Deno.test("/ws/live closes a client that subscribes to more than 20 machines", async () => {
  const t = await startTestMaster<MemoryStore>();
  try {
    const live = liveSocket(t.http, t.http);
    await live.opened;
    live.send({ type: "subscribe", machineIds: Array.from({ length: 21 }, (_, i) => `m${i}`) });
    const closed = await live.closed;
    assert.equal(closed.code, 4002);
    assert.match(closed.reason, /at most 20/);
  } finally {
    await t.close();
  }
});

function row(id: string): MachineRow {
  return {
    id,
    name: id,
    hostname: id,
    os: "linux",
    arch: "x86_64",
    cores: 1,
    memTotal: 1,
    agentVersion: "0.1.0",
    intervalMs: 1000,
    firstSeen: 0,
    lastSeen: 0,
    lastSeq: -1,
  };
}

Deno.test("a live client whose send buffer passes 1 MiB is closed with 4008, others keep receiving", () => {
  const fleet = new FleetState();
  const feed = new LiveFeed({ fleet, publicUi: false });
  const closes: number[] = [];
  let slowSent = 0;
  let fastSent = 0;
  const slowSocket = {
    send: () => slowSent++,
    close: (code: number) => closes.push(code),
    bufferedAmount: 0,
  };
  const slow = feed.accept(slowSocket);
  feed.accept({ send: () => fastSent++, close: () => {}, bufferedAmount: 0 });
  slowSocket.bufferedAmount = 1024 * 1024; // the network stopped draining it
  fleet.connect(row("m1"), 1);
  assert.deepEqual(closes, [LIVE_TOO_SLOW]);
  assert.equal(slowSent, 1, "only the hello, sent while its buffer was empty enough");
  assert.equal(fastSent, 2, "hello and the machine frame");
  assert.equal(feed.clientCount, 1);
  assert.equal(feed.droppedSlow, 1);
  slow.onClose();
  feed.close(1001, "done");
});

Deno.test("a live client whose send buffer does not empty for 10 s is dropped at the next tick", () => {
  let clock = 0;
  const fleet = new FleetState();
  const feed = new LiveFeed({ fleet, publicUi: false, now: () => clock });
  const closes: number[] = [];
  const stuck = { send: () => {}, close: (code: number) => closes.push(code), bufferedAmount: 0 };
  const busy = { send: () => {}, close: (code: number) => closes.push(-code), bufferedAmount: 0 };
  feed.accept(stuck);
  feed.accept(busy);
  stuck.bufferedAmount = 300; // far below the cap: the client just stopped reading
  busy.bufferedAmount = 300;
  feed.tick();
  clock = 9_000;
  busy.bufferedAmount = 0; // this one drained
  feed.tick();
  busy.bufferedAmount = 300;
  clock = 10_000;
  feed.tick();
  assert.deepEqual(closes, [LIVE_TOO_SLOW]);
  assert.equal(feed.droppedSlow, 1);
  assert.equal(feed.clientCount, 1);
  feed.close(1001, "done");
});

Deno.test("machines go offline after three missed intervals and online again when samples return", async () => {
  const t = await startTestMaster<MemoryStore>();
  try {
    const worker = await connectWorker(t.ws, "m1", { intervalMs: 250 });
    worker.socket.send({ type: "samples", v: 1, samples: [makeSample("m1", 0)] });
    await worker.socket.next();
    const state = t.master.fleet.get("m1")!;
    assert.equal(state.online, true);
    t.master.fleet.sweep(Date.now() + 5001);
    assert.equal(state.online, false);
    worker.socket.send({ type: "samples", v: 1, samples: [makeSample("m1", 1)] });
    await worker.socket.next();
    await waitFor(() => state.online, "back online");
    await worker.socket.close();
  } finally {
    await t.close();
  }
});

Deno.test("a real live client that stops reading is dropped instead of buffered without bound", async () => {
  const emitter = createAnomalyEmitter();
  const t = await startTestMaster<MemoryStore>({
    detection: () => ({ ...createNullDetection(), onEvent: emitter.onEvent }),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.master.port });
  try {
    const host = `127.0.0.1:${t.master.port}`;
    await conn.write(
      new TextEncoder().encode(
        `GET /ws/live HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\n` +
          `Authorization: Bearer ${UI_TOKEN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    await waitFor(() => t.master.live.clientCount === 1, "the client to connect");
    const causes = Array.from({ length: 100 }, (_, i) => ({
      metric: `metric_${i}_${"x".repeat(80)}`,
      value: i,
      normalLow: 0,
      normalHigh: 1,
      contribution: 0.01,
    }));
    // About 15 KB per event: 64 MiB in all, far more than any socket buffer holds.
    for (let i = 0; i < 4500 && t.master.live.clientCount > 0; i++) {
      emitter.emit({
        id: i,
        machineId: "m1",
        start: i,
        end: null,
        peakScore: 0.9,
        reason: "cpu.usage",
        causes,
        closeReason: null,
      });
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => t.master.live.clientCount === 0, "the slow client to be dropped");
    assert.equal(t.master.live.droppedSlow, 1);
  } finally {
    conn.close();
    await t.close();
  }
});

Deno.test("a live client that stops answering is dropped by the ping deadline and counted", async () => {
  const t = await startTestMaster<MemoryStore>();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.master.port });
  try {
    const host = `127.0.0.1:${t.master.port}`;
    await conn.write(
      new TextEncoder().encode(
        `GET /ws/live HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\n` +
          `Authorization: Bearer ${UI_TOKEN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    await waitFor(() => t.master.live.clientCount === 1, "the client to connect");
    // It never answers a ping: after the idle time and the pong deadline the master ends it.
    await waitFor(() => t.master.live.clientCount === 0, "the client to be dropped", 60_000);
    assert.equal(t.master.live.droppedSlow, 1);
    const metrics = await (await fetch(`${t.http}/metrics`, {
      headers: { authorization: `Bearer ${UI_TOKEN}` },
    })).text();
    assert.match(metrics, /^gridmon_live_clients_dropped_total 1$/m);
  } finally {
    conn.close();
    await t.close();
  }
});

Deno.test("/ws/live accepts the session cookie a login set, as a browser sends it", async () => {
  const t = await startTestMaster<MemoryStore>();
  try {
    const login = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: UI_TOKEN }),
    });
    assert.equal(login.status, 204);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    const live = new TestSocket(`${t.ws}/ws/live`, { Origin: t.http, Cookie: cookie });
    await live.opened;
    assert.equal((await live.next()).type, "hello");
    await live.close();
  } finally {
    await t.close();
  }
});
