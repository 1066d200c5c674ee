/**
 * Hostile clients without a token against a real master (issue 11 items 3 and 4), one after the
 * other: sixteen sockets sending a 30 MB frame before hello, 1,000 slow-loris upgrades (a request
 * that never ends), and 1,100 upgraded sockets that never say hello. For each: the master's RSS
 * before, at its peak and 3 s after, and how long a real worker (hello, one sample, its ack) then
 * takes to get in. `deno task bench frame_flood`.
 *
 * `FRAME_FLOOD_MAIN=/path/to/main.ts` measures another checkout's master (e.g. an older main).
 */
import net from "node:net";
import { loadAverage, memoryOf } from "./process_stats.ts";
import { makeHello, makeSample } from "../tests/master/test_master.ts";

const SOCKETS = 16;
const FRAME_BYTES = 30 * 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(0x61 ^ 0x12);
const TOKEN = "frame-flood-bench-token";
const SLOW_LORIS = 1000;
const IDLE = 1100;
const MAIN = Deno.env.get("FRAME_FLOOD_MAIN") ?? new URL("../main.ts", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A masked text frame header announcing `length` bytes (mask key 0x12 0 0 0). */
function header(length: number): Uint8Array {
  const head = [0x81, 0x80 | 127, 0, 0, 0, 0];
  for (let shift = 24; shift >= 0; shift -= 8) head.push((length >>> shift) & 0xff);
  // Mask 0x12121212: payload bytes 0x61 ^ 0x12 unmask to "a".
  return new Uint8Array([...head, 0x12, 0x12, 0x12, 0x12]);
}

/** Upgrades, then writes one 30 MB frame; resolves with the payload bytes written and the close. */
function flood(port: number): Promise<{ written: number; closeCode: number | undefined }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let written = 0;
    let closeCode: number | undefined;
    let upgraded = false;
    let closed = false;
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      resolve({ written, closeCode });
    });
    socket.on("data", (bytes: Uint8Array) => {
      if (!upgraded) {
        upgraded = true;
        socket.write(header(FRAME_BYTES));
        pump();
        return;
      }
      const at = bytes.indexOf(0x88);
      if (at >= 0 && at + 3 < bytes.length) closeCode = (bytes[at + 2] << 8) | bytes[at + 3];
    });
    const pump = () => {
      while (!closed && written < FRAME_BYTES) {
        written += CHUNK.length;
        if (!socket.write(CHUNK)) return void socket.once("drain", pump);
      }
    };
    socket.on("connect", () => socket.write(`${upgradeHead(port)}\r\n`));
    // A master that reads the whole frame and then refuses it: end once it has all of it.
    setTimeout(() => socket.destroy(), 60_000);
  });
}

/** The request line and headers of an upgrade to /ws/worker, without the final blank line. */
function upgradeHead(port: number): string {
  return `GET /ws/worker HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n";
}

/** Sockets kept open by a scenario; `closed` counts those the master ended. */
function holdSockets(n: number, port: number, onConnect: (s: net.Socket) => void) {
  const sockets: net.Socket[] = [];
  const held = { sockets, closed: 0 };
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host: "127.0.0.1", port });
    s.on("error", () => {});
    s.on("data", () => {}); // read, so the master's close is seen
    s.on("close", () => held.closed++);
    s.on("connect", () => onConnect(s));
    sockets.push(s);
  }
  return held;
}

/** A real worker's way in: hello, welcome, one sample, its ack; ms taken, or the failure. */
function goodWorker(port: number, id: string): Promise<string> {
  return new Promise((resolve) => {
    const started = performance.now();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/worker`);
    const timer = setTimeout(() => {
      ws.close();
      resolve("no ack in 30 s");
    }, 30_000);
    ws.onopen = () => ws.send(JSON.stringify({ ...makeHello(id), token: TOKEN }));
    ws.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === "welcome") {
        ws.send(JSON.stringify({ type: "samples", v: 1, samples: [makeSample(id, 0)] }));
      } else if (frame.type === "ack") {
        clearTimeout(timer);
        ws.close();
        resolve(`${(performance.now() - started).toFixed(0)} ms`);
      }
    };
    ws.onclose = (e) => {
      clearTimeout(timer);
      resolve(`closed ${e.code} ${e.reason}`);
    };
  });
}

const port = freePort();
const dataDir = await Deno.makeTempDir({ prefix: "gridmon-frame-flood-" });
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-all",
    "--v8-flags=--max-semi-space-size=4",
    MAIN,
    "master",
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--data",
    dataDir,
    "--token",
    TOKEN,
    "--no-local-worker",
  ],
  stdout: "piped",
  stderr: "null",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let out = "";
while (!out.includes("Dashboard")) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`master exited:\n${out}`);
  out += value;
}
void reader.cancel();
await new Promise((r) => setTimeout(r, 1000));

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const table: string[] = [];
const loadBefore = await loadAverage();

/** Runs `attack` while sampling the master's RSS; then probes with a good worker. */
async function scenario(name: string, attack: () => Promise<string>, probe: number) {
  const before = (await memoryOf(child.pid)).rss;
  let peak = before;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, (await memoryOf(child.pid)).rss);
  }, 20);
  const started = performance.now();
  const detail = await attack();
  const took = performance.now() - started;
  const admitted = await goodWorker(port, `good-${probe}`);
  await new Promise((r) => setTimeout(r, 3000));
  clearInterval(sampler);
  const after = (await memoryOf(child.pid)).rss;
  table.push(
    `| ${name} | ${mb(before)} MB | ${mb(peak)} MB | ${mb(after)} MB | ${detail} | ${admitted} | ${
      (took / 1000).toFixed(1)
    } s |`,
  );
}

await scenario(`${SOCKETS} frames of ${mb(FRAME_BYTES)} MB before hello`, async () => {
  const results = await Promise.all(Array.from({ length: SOCKETS }, () => flood(port)));
  const written = results.map((r) => r.written);
  const codes = [...new Set(results.map((r) => r.closeCode ?? "none"))].join(", ");
  return `payload sent before close ${mb(Math.min(...written))}-${
    mb(Math.max(...written))
  } MB; close codes ${codes}`;
}, 1);

let loris: ReturnType<typeof holdSockets> | undefined;
await scenario(`${SLOW_LORIS} slow-loris upgrades (a header byte every 2 s, 20 s)`, async () => {
  loris = holdSockets(SLOW_LORIS, port, (s) => s.write(upgradeHead(port)));
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    for (const s of loris.sockets) if (!s.destroyed) s.write("X");
  }
  return `${loris.closed} of ${SLOW_LORIS} closed by the master within 20 s`;
}, 2);
for (const s of loris!.sockets) s.destroy();

let idle: ReturnType<typeof holdSockets> | undefined;
await scenario(`${IDLE} upgraded sockets that never say hello (25 s)`, async () => {
  idle = holdSockets(IDLE, port, (s) => s.write(`${upgradeHead(port)}\r\n`));
  await new Promise((r) => setTimeout(r, 25_000));
  return `${idle.closed} of ${IDLE} closed by the master (hello deadline 10 s, 1,024 waiting at most)`;
}, 3);
for (const s of idle!.sockets) s.destroy();

child.kill("SIGTERM");
await child.status;
await Deno.remove(dataDir, { recursive: true });

console.log(`master: ${MAIN}`);
console.log(`load average: ${loadBefore} before, ${await loadAverage()} after`);
console.log(
  `| hostile traffic | RSS before | RSS peak | RSS 3 s after | what the master did | a real worker then gets in (hello to ack) | time |`,
);
console.log(`|---|---|---|---|---|---|---|`);
for (const line of table) console.log(line);
