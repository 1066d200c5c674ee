/**
 * Frame size limits bite at the frame header: a peer announcing a frame over the limit is closed
 * before it sent the payload. Raw TCP clients write the frames byte by byte, so the test controls
 * exactly how much of a frame the master has seen when it closes.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { CLOSE } from "../../src/protocol/messages.ts";
import { LIMITS } from "../../src/protocol/limits.ts";
import { LIVE_BAD_MESSAGE } from "../../src/master/live_feed.ts";
import { MAX_HELLO_BYTES } from "../../src/master/worker_connection.ts";
import { makeHello, makeSample, startTestMaster, UI_TOKEN, waitFor } from "./test_master.ts";

const MASK = [0x12, 0x34, 0x56, 0x78];

/** The header of a masked client frame (FIN set unless `more`), announcing `length` bytes. */
function frameHeader(opcode: number, length: number, more = false): Uint8Array {
  const first = (more ? 0 : 0x80) | opcode;
  let head: number[];
  if (length < 126) head = [first, 0x80 | length];
  else if (length < 65536) head = [first, 0x80 | 126, length >> 8, length & 0xff];
  else {
    head = [first, 0x80 | 127, 0, 0, 0, 0];
    for (let shift = 24; shift >= 0; shift -= 8) head.push((length >>> shift) & 0xff);
  }
  return new Uint8Array([...head, ...MASK]);
}

function masked(payload: Uint8Array): Uint8Array {
  return payload.map((byte, i) => byte ^ MASK[i % 4]);
}

/** A whole masked frame. */
function frame(opcode: number, text: string, more = false): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const head = frameHeader(opcode, payload.length, more);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(masked(payload), head.length);
  return out;
}

/** A raw WebSocket client: upgrades, then writes frames and parses what the master sends. */
class RawClient {
  readonly socket: net.Socket;
  #buffer = new Uint8Array(0);
  #upgraded = false;
  readonly texts: string[] = [];
  closeCode: number | undefined;
  ended = false;

  constructor(port: number, path: string, headers = "") {
    this.socket = net.connect({ host: "127.0.0.1", port });
    this.socket.on("connect", () => {
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          `Sec-WebSocket-Version: 13\r\n${headers}\r\n`,
      );
    });
    this.socket.on("data", (bytes: Uint8Array) => this.#read(bytes));
    this.socket.on("error", () => {});
    this.socket.on("close", () => (this.ended = true));
  }

  get upgraded(): boolean {
    return this.#upgraded;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  #read(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
    if (!this.#upgraded) {
      const text = new TextDecoder().decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      assert.match(text, /^HTTP\/1\.1 101/);
      this.#upgraded = true;
      this.#buffer = this.#buffer.slice(end + 4);
    }
    // Server frames are unmasked; the master sends no frame over 64 KiB here.
    while (this.#buffer.length >= 2) {
      let length = this.#buffer[1] & 0x7f;
      let start = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = (this.#buffer[2] << 8) | this.#buffer[3];
        start = 4;
      }
      if (this.#buffer.length < start + length) return;
      const payload = this.#buffer.slice(start, start + length);
      const opcode = this.#buffer[0] & 0x0f;
      if (opcode === 0x1) this.texts.push(new TextDecoder().decode(payload));
      if (opcode === 0x8) this.closeCode = (payload[0] << 8) | payload[1];
      this.#buffer = this.#buffer.slice(start + length);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

Deno.test("sixteen frames announcing 30 MB before hello are refused at their header (4001), before any payload byte", async () => {
  // A hello deadline far beyond the wait: only the frame header can close these sockets.
  const t = await startTestMaster({ handshakeTimeoutMs: 120_000 });
  const clients = Array.from({ length: 16 }, () => new RawClient(t.master.port, "/ws/worker"));
  try {
    await waitFor(() => clients.every((c) => c.upgraded), "the upgrades", 20_000);
    for (const client of clients) client.write(frameHeader(0x1, 30 * 1024 * 1024));
    await waitFor(
      () => clients.every((c) => c.closeCode !== undefined),
      "the master's close frames",
      20_000,
    );
    for (const client of clients) assert.equal(client.closeCode, CLOSE.unauthorized);
    assert.ok(
      t.logs.some((line) => line.includes(`first frame over ${MAX_HELLO_BYTES} bytes`)),
      t.logs.join("\n"),
    );
    // The master stopped reading: the sockets end without the payload ever being sent.
    await waitFor(() => clients.every((c) => c.ended), "the sockets to end", 20_000);
  } finally {
    clients.forEach((c) => c.destroy());
    await t.close();
  }
});

Deno.test("a hello split in fragments that add up to over 32 KiB is refused at the fragment that crosses it", async () => {
  const t = await startTestMaster({ handshakeTimeoutMs: 120_000 });
  const client = new RawClient(t.master.port, "/ws/worker");
  try {
    await waitFor(() => client.upgraded, "the upgrade", 20_000);
    client.write(frame(0x1, "x".repeat(20_000), true));
    client.write(frameHeader(0x0, 20_000));
    await waitFor(() => client.closeCode !== undefined, "the close frame", 20_000);
    assert.equal(client.closeCode, CLOSE.unauthorized);
  } finally {
    client.destroy();
    await t.close();
  }
});

Deno.test("after hello, frames up to 1 MiB are read and a frame announcing more is closed with 4003 at its header", async () => {
  const t = await startTestMaster({ handshakeTimeoutMs: 120_000 });
  const client = new RawClient(t.master.port, "/ws/worker");
  try {
    await waitFor(() => client.upgraded, "the upgrade", 20_000);
    client.write(frame(0x1, JSON.stringify(makeHello("big"))));
    await waitFor(() => client.texts.length === 1, "welcome", 20_000);
    assert.equal(JSON.parse(client.texts[0]).type, "welcome");
    // A frame well over the hello's limit is read whole once the worker is known.
    const samples = Array.from({ length: 200 }, (_, i) => makeSample("big", i, 1e12 + i * 1000));
    const text = JSON.stringify({ type: "samples", v: 1, samples });
    assert.ok(text.length > 3 * MAX_HELLO_BYTES, `${text.length} bytes`);
    client.write(frame(0x1, text));
    await waitFor(
      () => client.texts.some((m) => JSON.parse(m).type === "ack" && JSON.parse(m).seq === 199),
      "the ack of the large frame",
      20_000,
    );
    client.write(frameHeader(0x1, LIMITS.maxFrameBytes + 1));
    await waitFor(() => client.closeCode !== undefined, "the close frame", 20_000);
    assert.equal(client.closeCode, CLOSE.tooLarge);
  } finally {
    client.destroy();
    await t.close();
  }
});

Deno.test("/ws/live: a client message announcing over 16 KiB is closed with 4002 at its header", async () => {
  const t = await startTestMaster();
  const client = new RawClient(
    t.master.port,
    "/ws/live",
    `Origin: http://127.0.0.1:${t.master.port}\r\nAuthorization: Bearer ${UI_TOKEN}\r\n`,
  );
  try {
    await waitFor(() => client.upgraded || client.ended, "the upgrade", 20_000);
    assert.ok(client.upgraded, "the upgrade was refused");
    client.write(frameHeader(0x1, 10 * 1024 * 1024));
    await waitFor(() => client.closeCode !== undefined, "the close frame", 20_000);
    assert.equal(client.closeCode, LIVE_BAD_MESSAGE);
  } finally {
    client.destroy();
    await t.close();
  }
});

Deno.test("a socket that never says hello nor answers the close is cut off, not left holding its descriptor", async () => {
  const t = await startTestMaster(); // hello deadline 2 s
  const client = new RawClient(t.master.port, "/ws/worker");
  try {
    await waitFor(() => client.upgraded, "the upgrade", 20_000);
    await waitFor(() => client.closeCode !== undefined, "the master's close frame", 20_000);
    assert.equal(client.closeCode, CLOSE.handshakeTimeout);
    // The raw client never sends its close frame back: the master ends the TCP connection anyway.
    await waitFor(() => client.ended, "the socket to end", 20_000);
  } finally {
    client.destroy();
    await t.close();
  }
});
