/**
 * Idle sockets that never say hello, from another address (127.0.0.2, a loopback address the
 * kernel lets a client bind), against real workers from 127.0.0.1.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { CLOSE } from "../../src/protocol/messages.ts";
import { openTempStore } from "./real_store.ts";
import { makeHello, startTestMaster, TestSocket, UI_TOKEN, waitFor } from "./test_master.ts";

/** Keeps `n` upgraded sockets from 127.0.0.2 that never send a frame, reopening closed ones. */
function idleFlood(port: number, n: number) {
  let stopped = false;
  let upgraded = 0;
  let tried = 0;
  const sockets = new Set<net.Socket>();
  const open = () => {
    if (stopped) return;
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
    sockets.add(socket);
    socket.on("connect", () => {
      socket.write(
        "GET /ws/worker HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      );
    });
    socket.once("data", () => upgraded++);
    socket.on("data", (bytes: Uint8Array) => {
      // A close frame with code 1013: the master made room or turned this socket away.
      for (let i = 0; i + 3 < bytes.length; i++) {
        if (bytes[i] === 0x88 && bytes[i + 2] === 0x03 && bytes[i + 3] === 0xf5) tried++;
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      if (!stopped) setTimeout(open, 5);
    });
  };
  for (let i = 0; i < n; i++) open();
  return {
    get upgraded() {
      return upgraded;
    },
    /** Sockets the master closed with 1013 (the handshake table was full). */
    get tryLater() {
      return tried;
    },
    stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function helloReply(ws: string, machineId: string) {
  const socket = new TestSocket(`${ws}/ws/worker`);
  await socket.opened;
  socket.send(makeHello(machineId));
  const reply = await Promise.race([
    socket.next(),
    socket.closed.then((c) => ({ type: "closed", ...c })),
  ]);
  await socket.close();
  return reply;
}

const FLOODS = [
  ["1,100 of them fill the table (defaults)", undefined, 1100],
  ["one address hits its own cap", { maxPerAddress: 16, uncapped: () => false }, 300],
] as const;

for (const [what, handshakes, sockets] of FLOODS) {
  Deno.test(`workers get in while idle sockets flood the handshake: ${what}`, async () => {
    const temp = await openTempStore();
    const t = await startTestMaster({ store: temp.store, handshakes, handshakeTimeoutMs: 5000 });
    const flood = idleFlood(t.master.port, sockets);
    try {
      await waitFor(() => flood.upgraded >= sockets, "the flood's upgrades", 60_000);
      // The table is full once the master starts turning flood sockets away.
      await waitFor(() => flood.tryLater > 0, "a full handshake table", 60_000);
      const replies = [];
      for (let i = 0; i < 10; i++) replies.push(await helloReply(t.ws, `good-${i}`));
      assert.deepEqual(
        replies.map((r) => r.type),
        Array(10).fill("welcome"),
        JSON.stringify(replies.filter((r) => r.type !== "welcome")),
      );
      const metrics = await (await fetch(`${t.http}/metrics`, {
        headers: { authorization: `Bearer ${UI_TOKEN}` },
      })).text();
      assert.match(metrics, /reason="(evicted_idle|busy)"/);
    } finally {
      flood.stop();
      await t.master.close();
      await temp.dispose();
    }
  });
}

Deno.test("an idle socket is closed after the hello deadline with 4007", async () => {
  const temp = await openTempStore();
  const t = await startTestMaster({ store: temp.store, handshakeTimeoutMs: 300 });
  try {
    const socket = new TestSocket(`${t.ws}/ws/worker`);
    await socket.opened;
    assert.equal((await socket.closed).code, CLOSE.handshakeTimeout);
  } finally {
    await t.master.close();
    await temp.dispose();
  }
});
