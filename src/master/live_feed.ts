/**
 * /ws/live fan-out to UIs: a `tick` about once a second with compact values of every machine that
 * reported since the last one, full `sample` frames for subscribed machines, `machine` status
 * changes, `removed` machines and `anomaly` events. The master drops a client that does not keep
 * up (4008): its send buffer passes the cap, or has not emptied for `maxStalledMs` (the kernel's
 * socket buffer is full and not draining: the client stopped reading).
 */
import type { Sample } from "../protocol/sample.ts";
import type { FleetState, MachineState } from "./fleet_state.ts";
import type { CommittedRow } from "./ingest_hub.ts";
import { machineJson } from "./machine_json.ts";
import type { AnomalyEvent } from "./store/store_types.ts";

/** What the feed needs from a socket. */
export interface LiveSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

/** Close code for a client that does not keep up. */
export const LIVE_TOO_SLOW = 4008;
/** Close code for a client message that is not a valid subscribe. */
export const LIVE_BAD_MESSAGE = 4002;
/** Most machines one client may subscribe to. */
export const MAX_SUBSCRIPTIONS = 20;
/** Largest client message accepted. */
export const MAX_CLIENT_MESSAGE = 16 * 1024;

export interface LiveFeedOptions {
  fleet: FleetState;
  publicUi: boolean;
  now?: () => number;
  tickMs?: number;
  /** Send-buffer cap per client, in bytes (default 1 MiB). */
  maxBufferedBytes?: number;
  /** How long a client's send buffer may stay non-empty (default 10 s). */
  maxStalledMs?: number;
}

/** One entry of a `tick`. */
export interface TickEntry {
  id: string;
  ts: number;
  cpu: number | null;
  mem: number | null;
  diskBps: number | null;
  netBps: number | null;
  score: number | null;
  anomalous: boolean;
}

interface Client {
  socket: LiveSocket;
  subscribed: Set<string>;
  closed: boolean;
  /** Since when its send buffer has not been empty. */
  behindSince?: number;
}

function sumRates<T>(items: readonly T[] | undefined, pick: (item: T) => (number | null)[]) {
  let total: number | null = null;
  for (const item of items ?? []) {
    for (const value of pick(item)) {
      if (typeof value === "number") total = (total ?? 0) + value;
    }
  }
  return total;
}

/** Compact per-machine values for a tick. */
export function tickEntry(state: MachineState): TickEntry | undefined {
  const s: Sample | null = state.latest;
  if (!s) return undefined;
  return {
    id: state.row.id,
    ts: s.ts,
    cpu: s.cpu?.usage ?? null,
    mem: s.mem?.usedPct ?? null,
    diskBps: sumRates(s.disks, (d) => [d.readBps, d.writeBps]),
    netBps: sumRates(s.net, (n) => [n.rxBps, n.txBps]),
    score: state.verdict?.score ?? null,
    anomalous: state.verdict?.anomalous ?? false,
  };
}

export class LiveFeed {
  readonly #opts: Required<LiveFeedOptions>;
  readonly #clients = new Set<Client>();
  readonly #dirty = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #droppedSlow = 0;
  #unsubscribe: () => void;

  constructor(options: LiveFeedOptions) {
    // Explicit `??`: an option passed as undefined must not replace its default.
    this.#opts = {
      ...options,
      now: options.now ?? Date.now,
      tickMs: options.tickMs ?? 1000,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      maxStalledMs: options.maxStalledMs ?? 10_000,
    };
    const stops = [
      options.fleet.onChange((state) =>
        this.#broadcast({ type: "machine", machine: machineJson(state) })
      ),
      options.fleet.onRemoved((machineId) => {
        this.#dirty.delete(machineId);
        this.#broadcast({ type: "removed", machineId });
      }),
    ];
    this.#unsubscribe = () => stops.forEach((stop) => stop());
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Clients dropped because they did not keep up or stopped answering. */
  get droppedSlow(): number {
    return this.#droppedSlow;
  }

  /** Starts the tick timer. */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#opts.tickMs);
  }

  /** Registers an open socket; returns the handlers to wire to its events. */
  accept(socket: LiveSocket): { onMessage(data: unknown): void; onClose(): void } {
    const client: Client = { socket, subscribed: new Set(), closed: false };
    this.#clients.add(client);
    this.#send(client, {
      type: "hello",
      serverTime: this.#opts.now(),
      publicUi: this.#opts.publicUi,
    });
    return {
      onMessage: (data) => this.#onMessage(client, data),
      onClose: () => {
        client.closed = true;
        this.#clients.delete(client);
      },
    };
  }

  /** Rows were committed: remember them for the next tick, send samples to subscribers. */
  committed(rows: readonly CommittedRow[]): void {
    for (const row of rows) {
      this.#dirty.add(row.machineId);
      let text: string | undefined;
      for (const client of this.#clients) {
        if (!client.subscribed.has(row.machineId)) continue;
        text ??= JSON.stringify({
          type: "sample",
          machineId: row.machineId,
          sample: row.sample,
          verdict: row.verdict,
        });
        this.#sendText(client, text);
      }
    }
  }

  /** An anomaly event opened, changed or closed. */
  anomaly(event: AnomalyEvent): void {
    const machineName = this.#opts.fleet.get(event.machineId)?.row.name ?? event.machineId;
    this.#broadcast({ type: "anomaly", event: { ...event, machineName } });
  }

  /** An alert fired, repeated or resolved. */
  alert(notice: { transition: string; alert: object }): void {
    this.#broadcast({ type: "alert", transition: notice.transition, alert: notice.alert });
  }

  /** A client went away without a close handshake (it stopped answering pings): dropped too. */
  unresponsive(): void {
    this.#droppedSlow++;
  }

  /** Drops clients whose send buffer has not emptied for maxStalledMs. */
  #dropStalled(): void {
    const now = this.#opts.now();
    for (const client of [...this.#clients]) {
      if (client.socket.bufferedAmount === 0) {
        client.behindSince = undefined;
        continue;
      }
      client.behindSince ??= now;
      if (now - client.behindSince >= this.#opts.maxStalledMs) {
        this.#droppedSlow++;
        this.#drop(client, LIVE_TOO_SLOW, "client stopped reading; reconnect");
      }
    }
  }

  /** Sends one `tick` with every machine that reported since the previous tick. */
  tick(): void {
    this.#dropStalled();
    if (this.#dirty.size === 0) return;
    const machines: TickEntry[] = [];
    for (const id of this.#dirty) {
      const state = this.#opts.fleet.get(id);
      const entry = state && tickEntry(state);
      if (entry) machines.push(entry);
    }
    this.#dirty.clear();
    if (machines.length > 0) this.#broadcast({ type: "tick", ts: this.#opts.now(), machines });
  }

  /** Stops ticking and closes every client with `code`. */
  close(code: number, reason: string): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe();
    for (const client of [...this.#clients]) this.#drop(client, code, reason);
  }

  #onMessage(client: Client, data: unknown): void {
    if (typeof data !== "string" || data.length > MAX_CLIENT_MESSAGE) {
      return this.#drop(client, LIVE_BAD_MESSAGE, "messages must be small JSON text");
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return this.#drop(client, LIVE_BAD_MESSAGE, "message is not valid JSON");
    }
    const { type, machineIds } = (message ?? {}) as Record<string, unknown>;
    if (type !== "subscribe") {
      return this.#drop(client, LIVE_BAD_MESSAGE, 'expected {"type":"subscribe",...}');
    }
    if (
      !Array.isArray(machineIds) || machineIds.length > MAX_SUBSCRIPTIONS ||
      !machineIds.every((id) => typeof id === "string" && id.length <= 256)
    ) {
      return this.#drop(
        client,
        LIVE_BAD_MESSAGE,
        `machineIds must be an array of at most ${MAX_SUBSCRIPTIONS} ids`,
      );
    }
    client.subscribed = new Set(machineIds as string[]);
  }

  #broadcast(message: unknown): void {
    if (this.#clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const client of this.#clients) this.#sendText(client, text);
  }

  #send(client: Client, message: unknown): void {
    this.#sendText(client, JSON.stringify(message));
  }

  #sendText(client: Client, text: string): void {
    if (client.closed) return;
    if (client.socket.bufferedAmount + text.length > this.#opts.maxBufferedBytes) {
      this.#droppedSlow++;
      return this.#drop(client, LIVE_TOO_SLOW, "client too slow; reconnect");
    }
    try {
      client.socket.send(text);
    } catch {
      this.#drop(client, 1011, "send failed");
    }
  }

  #drop(client: Client, code: number, reason: string): void {
    if (client.closed) return;
    client.closed = true;
    this.#clients.delete(client);
    try {
      client.socket.close(code, reason);
    } catch {
      // already closed
    }
  }
}
