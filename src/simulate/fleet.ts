/**
 * The fleet: one WebSocket per simulated machine over the real protocol, driven by a single
 * timer. Each machine says hello, learns from `welcome` where its sequence numbers continue,
 * and streams its samples; at most `window` samples per machine are unacknowledged at a time.
 * Unacknowledged samples are kept (pre-serialised) and sent again after a reconnect; since a
 * sample is a pure function of its timestamp, anything the master lacks can be regenerated.
 *
 * Time: the clock that decides which samples are due is
 * `min(now, startMs + (now - begun) * speed)`; with `speed` Infinity every sample up to now is
 * due at once (back-fill as fast as acks allow), then one per interval, live.
 */
import { LIMITS } from "../protocol/limits.ts";
import { CLOSE } from "../protocol/messages.ts";
import { parseMasterFrame } from "../protocol/validate.ts";
import { type Backoff, createBackoff } from "../worker/backoff.ts";
import type { MachineModel } from "./machine_model.ts";

export interface FleetOptions {
  /** WebSocket URL of the master's ingest, e.g. ws://127.0.0.1:7863/ws/worker. */
  url: string;
  token: string;
  models: readonly MachineModel[];
  intervalMs: number;
  /** Timestamp (ms) before which no sample is made; each machine starts at its own phase after it. */
  startMs: number;
  /** Samples stop before this timestamp (ms); undefined: run until stopped. */
  endMs?: number;
  /** Simulated ms per wall-clock ms; Infinity: as fast as acks allow, never past now. */
  speed: number;
  /**
   * Most unacknowledged samples per machine (default: 100,000 over the fleet, 100 to 2,000 per
   * machine), which bounds this process's memory and the master's queue.
   */
  window?: number;
  /** Most samples per frame (default and maximum LIMITS.maxSamplesPerFrame). */
  samplesPerFrame?: number;
  /** Most frames per second per machine (default 20; the master allows LIMITS.maxFramesPerSecond). */
  framesPerSecond?: number;
  /** Most connections handshaking at once (default 50). */
  connectConcurrency?: number;
  /** Period of the one timer (default 10 ms). */
  tickMs?: number;
  log?: (line: string) => void;
  /** Called for every acknowledged sample with its timestamp and the time its ack arrived. */
  onAck?: (ts: number, ackedAt: number) => void;
}

/** Counters of a running fleet. */
export interface FleetStats {
  machines: number;
  /** Machines with a live, welcomed connection. */
  connected: number;
  /** Machines that sent all their samples and had them acknowledged. */
  finished: number;
  generated: number;
  sent: number;
  frames: number;
  acked: number;
  /** Connections that closed (or failed) and were tried again. */
  reconnects: number;
  /** Close codes seen, with counts. */
  closes: Record<string, number>;
}

/** A running fleet. */
export interface Fleet {
  readonly stats: FleetStats;
  /** Samples generated but not yet acknowledged, over all machines. */
  unacked(): number;
  /** Resolves when every machine is finished or `stop()` was called; rejects on a refused token. */
  readonly done: Promise<void>;
  /** Closes every connection and ends the fleet. */
  stop(): Promise<void>;
}

interface Pending {
  seq: number;
  ts: number;
  json: string;
}

interface SimMachine {
  model: MachineModel;
  helloFrame: string;
  /** Timestamp of sample 0. */
  firstTs: number;
  ws: WebSocket | null;
  handshaking: boolean;
  ready: boolean;
  finished: boolean;
  /** Sequence number of sample 0; -1 until the first welcome. */
  seqBase: number;
  nextIndex: number;
  pending: Pending[];
  /** pending[0 .. sent) went out on the current connection. */
  sent: number;
  frameWindowStart: number;
  framesInWindow: number;
  retryAt: number;
  handshakeDeadline: number;
  backoff: Backoff;
}

const HANDSHAKE_TIMEOUT_MS = 15_000;
/** Frames stay below this many bytes, well inside LIMITS.maxFrameBytes. */
const MAX_FRAME_CHARS = Math.floor(LIMITS.maxFrameBytes * 0.85);
/** No more frames while this much is still queued in a socket. */
const MAX_BUFFERED = 2 * 1024 * 1024;

/** Starts a fleet; the returned handle reports progress and stops it. */
export function startFleet(options: FleetOptions): Fleet {
  const {
    url,
    token,
    intervalMs,
    startMs,
    endMs,
    speed,
    onAck,
  } = options;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const window = options.window ??
    Math.min(2000, Math.max(100, Math.floor(100_000 / Math.max(1, options.models.length))));
  const perFrame = Math.min(
    options.samplesPerFrame ?? LIMITS.maxSamplesPerFrame,
    LIMITS.maxSamplesPerFrame,
  );
  const framesPerSecond = Math.min(options.framesPerSecond ?? 20, LIMITS.maxFramesPerSecond);
  const concurrency = options.connectConcurrency ?? 50;
  const log = options.log ?? (() => {});
  const begun = Date.now();
  const stats: FleetStats = {
    machines: options.models.length,
    connected: 0,
    finished: 0,
    generated: 0,
    sent: 0,
    frames: 0,
    acked: 0,
    reconnects: 0,
    closes: {},
  };
  const machines: SimMachine[] = options.models.map((model) => ({
    model,
    helloFrame: JSON.stringify(model.hello(token, intervalMs)),
    firstTs: startMs + (model.profile.key % intervalMs),
    ws: null,
    handshaking: false,
    ready: false,
    finished: false,
    seqBase: -1,
    nextIndex: 0,
    pending: [],
    sent: 0,
    frameWindowStart: 0,
    framesInWindow: 0,
    retryAt: 0,
    handshakeDeadline: 0,
    backoff: createBackoff({ initialMs: 500, maxMs: 15_000 }),
  }));
  let handshaking = 0;
  let stopped = false;
  let settle: { resolve: () => void; reject: (e: Error) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const closed = new Set<Promise<void>>();

  function clock(now: number): number {
    return speed === Infinity ? now : Math.min(now, startMs + (now - begun) * speed);
  }

  function connect(m: SimMachine, now: number): void {
    const ws = new WebSocket(url);
    m.ws = ws;
    m.handshaking = true;
    m.handshakeDeadline = now + HANDSHAKE_TIMEOUT_MS;
    handshaking++;
    let closedResolve: () => void;
    const closedPromise = new Promise<void>((r) => (closedResolve = r));
    closed.add(closedPromise);
    ws.onopen = () => ws.send(m.helloFrame);
    ws.onmessage = (event) => onMessage(m, ws, event.data);
    ws.onerror = () => {}; // a close event follows
    ws.onclose = (event) => {
      closed.delete(closedPromise);
      closedResolve();
      onClose(m, ws, event.code, event.reason);
    };
  }

  function onMessage(m: SimMachine, ws: WebSocket, data: unknown): void {
    if (m.ws !== ws) return;
    const parsed = parseMasterFrame(typeof data === "string" ? data : "");
    if (!parsed.ok) {
      log(`simulate: ${m.model.profile.name}: bad frame from master (${parsed.reason})`);
      ws.close(CLOSE.normal, "bad frame from master");
      return;
    }
    const frame = parsed.frame;
    const now = Date.now();
    if (frame.type === "welcome") {
      if (!m.handshaking) return;
      m.handshaking = false;
      handshaking--;
      m.ready = true;
      stats.connected++;
      m.backoff.reset();
      welcome(m, frame.lastSeq, now);
    } else if (m.ready) {
      acknowledge(m, frame.seq, now, true);
    }
    pump(m, clock(now), now);
  }

  function welcome(m: SimMachine, lastSeq: number, now: number): void {
    if (m.seqBase < 0) {
      m.seqBase = lastSeq + 1;
      m.nextIndex = 0;
    } else {
      acknowledge(m, lastSeq, now, false);
      const expected = m.pending.length > 0 ? m.pending[0].seq : m.seqBase + m.nextIndex;
      if (expected !== lastSeq + 1) {
        // The master holds less (or more) than we think: regenerate from what it has.
        m.pending.length = 0;
        m.nextIndex = Math.max(0, lastSeq + 1 - m.seqBase);
      }
    }
    m.sent = 0;
  }

  function acknowledge(m: SimMachine, seq: number, now: number, timed: boolean): void {
    const pending = m.pending;
    let count = 0;
    while (count < pending.length && pending[count].seq <= seq) {
      if (timed && onAck) onAck(pending[count].ts, now);
      count++;
    }
    if (count === 0) return;
    pending.splice(0, count);
    m.sent = Math.max(0, m.sent - count);
    stats.acked += count;
  }

  function pump(m: SimMachine, simNow: number, now: number): void {
    if (!m.ready || m.finished || !m.ws || m.ws.readyState !== WebSocket.OPEN) return;
    const pending = m.pending;
    while (pending.length < window) {
      const ts = m.firstTs + m.nextIndex * intervalMs;
      if (ts > simNow || (endMs !== undefined && ts >= endMs)) break;
      const seq = m.seqBase + m.nextIndex;
      pending.push({ seq, ts, json: JSON.stringify(m.model.sampleAt(ts, seq)) });
      m.nextIndex++;
      stats.generated++;
    }
    if (now - m.frameWindowStart >= 1000) {
      m.frameWindowStart = now;
      m.framesInWindow = 0;
    }
    while (
      m.sent < pending.length && m.framesInWindow < framesPerSecond &&
      m.ws.bufferedAmount < MAX_BUFFERED
    ) {
      let frame = '{"type":"samples","v":1,"samples":[';
      let n = 0;
      while (
        m.sent + n < pending.length && n < perFrame &&
        (n === 0 || frame.length + pending[m.sent + n].json.length < MAX_FRAME_CHARS)
      ) {
        if (n > 0) frame += ",";
        frame += pending[m.sent + n].json;
        n++;
      }
      m.ws.send(frame + "]}");
      m.sent += n;
      m.framesInWindow++;
      stats.sent += n;
      stats.frames++;
    }
    if (
      endMs !== undefined && pending.length === 0 && m.firstTs + m.nextIndex * intervalMs >= endMs
    ) {
      m.finished = true;
      stats.finished++;
      m.ws.close(CLOSE.normal, "simulation finished");
      if (stats.finished === machines.length) finish();
    }
  }

  function onClose(m: SimMachine, ws: WebSocket, code: number, reason: string): void {
    if (m.ws !== ws) return;
    m.ws = null;
    if (m.handshaking) handshaking--;
    if (m.ready) stats.connected--;
    m.handshaking = false;
    m.ready = false;
    m.sent = 0;
    if (stopped || m.finished) return;
    const label = `${code}${reason ? ` ${reason}` : ""}`;
    if (!(label in stats.closes)) {
      log(`simulate: ${m.model.profile.name}: connection closed (${label})`);
    }
    stats.closes[label] = (stats.closes[label] ?? 0) + 1;
    if (code === CLOSE.unauthorized) {
      fail(
        new Error(`the master refused the join token (close ${code}: ${reason || "no reason"})`),
      );
      return;
    }
    stats.reconnects++;
    m.retryAt = Date.now() + m.backoff.next();
  }

  function tick(): void {
    const now = Date.now();
    const simNow = clock(now);
    for (const m of machines) {
      if (m.finished) continue;
      if (m.ws === null) {
        if (handshaking < concurrency && now >= m.retryAt) connect(m, now);
      } else if (m.handshaking && now > m.handshakeDeadline) {
        m.ws.close(CLOSE.normal, "no welcome from master");
      } else {
        pump(m, simNow, now);
      }
    }
  }

  const timer = setInterval(tick, options.tickMs ?? 10);
  tick();

  function finish(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    closeAll().then(() => settle.resolve());
  }

  function fail(error: Error): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    closeAll().then(() => settle.reject(error));
  }

  async function closeAll(): Promise<void> {
    for (const m of machines) {
      if (m.ws && m.ws.readyState < WebSocket.CLOSING) {
        m.ws.close(CLOSE.normal, "simulation stopped");
      }
    }
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...closed]),
      new Promise((r) => (timeout = setTimeout(r, 3000))),
    ]);
    clearTimeout(timeout);
  }

  return {
    stats,
    unacked: () => machines.reduce((sum, m) => sum + m.pending.length, 0),
    done,
    stop() {
      finish();
      return done.catch(() => {});
    },
  };
}
