/**
 * A small, real master for worker tests and benchmarks: Deno.serve on 127.0.0.1 (port 0 by
 * default) with the worker WebSocket, validating every frame with the shared protocol code,
 * "committing" samples (dropping duplicates like the real master) and acknowledging them.
 * It can refuse tokens, stop acknowledging, cut connections mid-stream (on demand or every Nth
 * frame), and go down and come back on the same port. Used by the worker and simulator tests.
 */
import { CLOSE, type Hello } from "../../src/protocol/messages.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { parseWorkerFrame } from "../../src/protocol/validate.ts";
import { PROTOCOL_VERSION } from "../../src/protocol/version.ts";

export interface FakeMasterOptions {
  token?: string;
  port?: number;
  /** Highest seq already committed per machine id (default none, i.e. -1). */
  lastSeq?: Record<string, number>;
  /** Cut a connection (1011, nothing stored or acked) on every Nth samples frame it sends. */
  cutEveryFrames?: number;
}

/** What the fake master holds for one machine. */
export interface FakeMachine {
  /** The newest accepted hello. */
  hello: Hello;
  /** Committed samples by seq. */
  samples: Map<number, Sample>;
  /** Highest committed seq, -1 for none. */
  lastSeq: number;
  /** Samples received again after they were committed. */
  duplicates: number;
  /** Accepted hellos (connections) of the machine. */
  connections: number;
}

export interface FakeMaster {
  readonly port: number;
  /** ws:// URL of `/ws/worker`. */
  readonly url: string;
  /** Committed samples, per machine, in arrival order (duplicates left out). */
  readonly committed: Map<string, Sample[]>;
  /** Per machine: its hello, committed samples by seq, duplicates and connections. */
  readonly machines: Map<string, FakeMachine>;
  /** Seqs of every sample received, duplicates included, in arrival order. */
  readonly received: number[];
  /** `samples` frames received. */
  readonly frames: number;
  /** Hellos that were accepted. */
  readonly hellos: Hello[];
  /** Connections refused for a wrong token. */
  readonly refused: number;
  /** Highest `dropped` a worker reported. */
  readonly dropped: number;
  /** Frames that failed validation (each closed its connection). */
  readonly invalid: string[];
  /** Open worker sockets. */
  readonly connections: number;
  /** Whether `ack` frames are sent after commit (default true). */
  acking: boolean;
  /** Committed seqs of one machine (the only one when omitted). */
  seqs(machineId?: string): number[];
  /** Closes every worker socket abruptly (1011), as a crashing master would. */
  dropConnections(): void;
  /** Stops listening and closes every socket. */
  down(): Promise<void>;
  /** The same as down(): for tests that end with it. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  up(): void;
  /** Resolves once `predicate` holds, polling; rejects after `timeoutMs` with `what`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** Starts a fake master. Call `down()` at the end of the test. */
export function startFakeMaster(options: FakeMasterOptions = {}): FakeMaster {
  const token = options.token ?? "secret";
  const committed = new Map<string, Sample[]>();
  const machines = new Map<string, FakeMachine>();
  const lastSeq = new Map<string, number>(Object.entries(options.lastSeq ?? {}));
  const received: number[] = [];
  const hellos: Hello[] = [];
  const invalid: string[] = [];
  const sockets = new Set<WebSocket>();
  let refused = 0;
  let frames = 0;
  let dropped = 0;
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let port = options.port ?? 0;

  function accept(socket: WebSocket): void {
    let machineId: string | undefined;
    let socketFrames = 0;
    sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (event) => {
      const parsed = parseWorkerFrame(event.data);
      if (!parsed.ok) {
        invalid.push(parsed.reason);
        socket.close(CLOSE.invalidFrame, parsed.reason.slice(0, 100));
        return;
      }
      const frame = parsed.frame;
      if (frame.type === "hello") {
        if (frame.token !== token) {
          refused++;
          socket.close(CLOSE.unauthorized, "unauthorized");
          return;
        }
        machineId = frame.machineId;
        hellos.push(frame);
        const machine = machines.get(machineId) ??
          { hello: frame, samples: new Map(), lastSeq: -1, duplicates: 0, connections: 0 };
        machine.hello = frame;
        machine.connections++;
        machines.set(machineId, machine);
        socket.send(JSON.stringify({
          type: "welcome",
          v: PROTOCOL_VERSION,
          machineId,
          name: frame.name ?? frame.hostname,
          lastSeq: lastSeq.get(machineId) ?? -1,
        }));
        return;
      }
      if (machineId === undefined) {
        socket.close(CLOSE.invalidFrame, "samples before hello");
        return;
      }
      frames++;
      if (options.cutEveryFrames && ++socketFrames % options.cutEveryFrames === 0) {
        socket.close(1011, "cut by test");
        return;
      }
      dropped = Math.max(dropped, frame.dropped ?? 0);
      const rows = committed.get(machineId) ?? [];
      committed.set(machineId, rows);
      const machine = machines.get(machineId)!;
      let last = lastSeq.get(machineId) ?? -1;
      for (const sample of frame.samples) {
        received.push(sample.seq);
        if (sample.machineId !== machineId) invalid.push("sample of another machine");
        if (sample.seq <= last) { // a duplicate: already committed
          machine.duplicates++;
          continue;
        }
        rows.push(sample);
        machine.samples.set(sample.seq, sample);
        last = sample.seq;
      }
      lastSeq.set(machineId, last);
      machine.lastSeq = last;
      if (fake.acking) socket.send(JSON.stringify({ type: "ack", v: PROTOCOL_VERSION, seq: last }));
    };
  }

  function up(): void {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port,
      onListen: () => {},
    }, (request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/ws/worker" || request.headers.get("upgrade") !== "websocket") {
        return new Response("not found", { status: 404 });
      }
      const { socket, response } = Deno.upgradeWebSocket(request);
      accept(socket);
      return response;
    });
    port = server.addr.port;
  }

  up();

  const fake: FakeMaster = {
    get port() {
      return port;
    },
    get url() {
      return `ws://127.0.0.1:${port}/ws/worker`;
    },
    committed,
    machines,
    received,
    get frames() {
      return frames;
    },
    hellos,
    get refused() {
      return refused;
    },
    get dropped() {
      return dropped;
    },
    invalid,
    get connections() {
      return sockets.size;
    },
    acking: true,
    seqs(machineId) {
      const id = machineId ?? [...committed.keys()][0];
      return (committed.get(id) ?? []).map((sample) => sample.seq);
    },
    dropConnections() {
      for (const socket of sockets) socket.close(1011, "fake master cut the connection");
    },
    async down() {
      for (const socket of sockets) {
        try {
          socket.close(1001, "going away");
        } catch { /* already closing */ }
      }
      sockets.clear();
      await server?.shutdown();
      server = undefined;
    },
    close() {
      return fake.down();
    },
    up,
    async waitFor(predicate, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
  return fake;
}
