/** Helpers for master tests: a real master on port 0 and real WebSocket clients. */
import { type MasterOptions, type RunningMaster, startMaster } from "../../src/master/server.ts";
import type { Hello } from "../../src/protocol/messages.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import type { Store } from "../../src/master/store/store_types.ts";
import { createMemoryStore } from "./memory_store.ts";

export const JOIN_TOKEN = "join-token-for-tests-0123456789";
export const UI_TOKEN = "ui-token-for-tests-9876543210";

export interface TestMaster<S extends Store> {
  master: RunningMaster;
  store: S;
  logs: string[];
  http: string;
  ws: string;
  close(): Promise<void>;
}

/** Starts a master on 127.0.0.1 with an ephemeral port, short timers and captured logs. */
export async function startTestMaster<S extends Store>(
  options: Partial<MasterOptions> & { store?: S } = {},
): Promise<TestMaster<S>> {
  const logs: string[] = [];
  const store = (options.store ?? createMemoryStore()) as S;
  const master = await startMaster({
    bind: "127.0.0.1",
    port: 0,
    joinToken: JOIN_TOKEN,
    uiToken: UI_TOKEN,
    publicUi: false,
    log: (line) => logs.push(line),
    handshakeTimeoutMs: 2000,
    flushEveryMs: 20,
    tickMs: 100,
    ...options,
    store,
  });
  return {
    master,
    store,
    logs,
    http: `http://127.0.0.1:${master.port}`,
    ws: `ws://127.0.0.1:${master.port}`,
    async close() {
      await master.close();
      store.close();
    },
  };
}

/** A WebSocket client that queues what it receives. */
export class TestSocket {
  readonly socket: WebSocket;
  readonly #inbox: unknown[] = [];
  #waiters: ((value: unknown) => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, headers?: Record<string, string>) {
    // Deno's WebSocket accepts extra request headers (used for Origin).
    this.socket = headers
      ? new (WebSocket as unknown as new (url: string, init: object) => WebSocket)(url, { headers })
      : new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.socket.onclose = (e) => resolve({ code: e.code, reason: e.reason });
    });
    this.socket.onmessage = (e) => {
      const value = JSON.parse(e.data);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(value);
      else this.#inbox.push(value);
    };
  }

  send(value: unknown): void {
    this.socket.send(typeof value === "string" ? value : JSON.stringify(value));
  }

  /** The next message (rejects when the socket closes first). */
  next<T = Record<string, unknown>>(): Promise<T> {
    if (this.#inbox.length > 0) return Promise.resolve(this.#inbox.shift() as T);
    return new Promise<T>((resolve, reject) => {
      this.#waiters.push(resolve as (value: unknown) => void);
      this.closed.then((c) => reject(new Error(`closed (${c.code} ${c.reason}) while waiting`)));
    });
  }

  /** The next message of `type`, skipping others. */
  async nextOfType<T = Record<string, unknown>>(type: string): Promise<T> {
    for (;;) {
      const message = await this.next<{ type: string }>();
      if (message.type === type) return message as T;
    }
  }

  /** Closes (if still open) and waits for the close. */
  async close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000);
    return await this.closed;
  }
}

/** A valid hello for `machineId`. */
export function makeHello(machineId: string, overrides: Partial<Hello> = {}): Hello {
  return {
    type: "hello",
    v: 1,
    token: JOIN_TOKEN,
    machineId,
    hostname: `host-${machineId}`,
    os: "linux",
    arch: "x86_64",
    cores: 2,
    memTotal: 8e9,
    agentVersion: "0.1.0",
    intervalMs: 1000,
    ...overrides,
  };
}

/** A valid sample. */
export function makeSample(machineId: string, seq: number, ts = Date.now()): Sample {
  return {
    ts,
    seq,
    machineId,
    hostname: `host-${machineId}`,
    cpu: { usage: 10 + (seq % 50), user: 5, system: 2, cores: [12, 8] },
    mem: {
      total: 8e9,
      used: 4e9,
      available: 4e9,
      usedPct: 50,
      swapTotal: 1e9,
      swapUsed: 0,
    },
    load: { "1": 0.5, "5": 0.4, "15": 0.3 },
    disks: [{
      name: "vda",
      readBps: 100,
      writeBps: 200,
      readIops: 1,
      writeIops: 2,
      utilPct: 3,
    }],
    net: [{
      iface: "eth0",
      rxBps: 1000,
      txBps: 500,
      rxPps: 10,
      txPps: 5,
      rxErrors: 0,
      txErrors: 0,
    }],
    filesystems: [{ mount: "/", fstype: "ext4", size: 1e11, used: 5e10, usedPct: 50 }],
    uptime: 3600,
    procs: 120,
  };
}

/** Connects a worker, says hello and waits for welcome. */
export async function connectWorker(
  ws: string,
  machineId: string,
  overrides: Partial<Hello> = {},
): Promise<{ socket: TestSocket; welcome: Record<string, unknown> }> {
  const socket = new TestSocket(`${ws}/ws/worker`);
  await socket.opened;
  socket.send(makeHello(machineId, overrides));
  const welcome = await socket.next();
  return { socket, welcome };
}

/** Waits until `check` returns true (polling; fails after `ms`). */
export async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
