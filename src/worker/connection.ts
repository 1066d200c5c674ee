/**
 * The worker's link to its master: dials the master's WebSocket, says hello (the token travels
 * only in that frame), adopts the master's `lastSeq` from `welcome`, streams the spool's pending
 * samples in order and releases them on `ack`. Reconnects with jittered, capped backoff; logs
 * each state change once, never every attempt.
 *
 * A refused token (close 4001), protocol version (4006) or machine id used by another host (4009)
 * is logged once with what to do, and the
 * worker keeps sampling and retries slowly (every `refusedRetryMs`): exiting would make a service
 * manager restart it in a tight loop, and an admin fixing the master's token should not have to
 * touch every worker.
 */
import { LIMITS } from "../protocol/limits.ts";
import { CLOSE } from "../protocol/close_codes.ts";
import type { Hello } from "../protocol/messages.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { type Backoff, createBackoff } from "./backoff.ts";
import { parseMasterFrameLite } from "./master_frames.ts";
import type { Spool } from "./spool.ts";

export interface ConnectionOptions {
  /** ws:// or wss:// URL of the master's `/ws/worker`. Carries no token. */
  url: string;
  /** The hello frame, built for each connection. */
  hello: () => Hello;
  spool: Spool;
  log: (message: string) => void;
  /** Default: 0.5 s doubling to 30 s, equal jitter. */
  backoff?: Backoff;
  /** Delay between attempts after the master refused the token or version (default 60 s). */
  refusedRetryMs?: number;
  /** Time allowed from dialling to `welcome` (default 10 s). */
  welcomeTimeoutMs?: number;
  /** Least time between two `samples` frames (default 100 ms, i.e. at most 10 frames/s). */
  minFrameGapMs?: number;
  /** Most samples sent and not yet acknowledged (default 4 full frames). */
  maxInFlight?: number;
  /** How long close() waits for the acks of samples in flight (default 1 s). */
  drainMs?: number;
  /**
   * Called when the master rejected a frame (close 4002 or 4003), before reconnecting: a sample
   * the master cannot accept would otherwise be resent forever.
   */
  onRejected?: () => Promise<void>;
}

/** Connection states, as logged. */
export type ConnectionState = "connecting" | "connected" | "down" | "refused" | "closed";

/** A running link. */
export interface Connection {
  readonly state: ConnectionState;
  /** Tells the link that the spool has new samples. */
  notify(): void;
  /** Stops reconnecting and closes the socket with 1000. */
  close(): Promise<void>;
}

/** Default most samples sent and not yet acknowledged: four full frames. */
export const DEFAULT_MAX_IN_FLIGHT = 4 * LIMITS.maxSamplesPerFrame;

/** Bytes kept free in a frame for the envelope around the samples. */
const ENVELOPE_BYTES = 1024;
/** Most bytes queued in the socket before the link waits. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

function describeClose(code: number, reason: string): string {
  const known: Record<number, string> = {
    1000: "closed normally",
    1001: "master going away",
    1006: "connection lost",
    [CLOSE.invalidFrame]: "master rejected a frame",
    [CLOSE.tooLarge]: "frame too large",
    [CLOSE.rateLimited]: "too many frames",
    [CLOSE.duplicateMachine]:
      "another connection from this host holds this machine id (a second worker here?)",
    [CLOSE.handshakeTimeout]: "handshake timeout",
  };
  const what = known[code] ?? "closed";
  return `${what} (code ${code}${reason ? `: ${reason}` : ""})`;
}

/** Starts the link; it runs until close(). */
export function startConnection(options: ConnectionOptions): Connection {
  const { url, spool, log } = options;
  const backoff = options.backoff ?? createBackoff({ initialMs: 500, maxMs: 30_000 });
  const refusedRetryMs = options.refusedRetryMs ?? 60_000;
  const welcomeTimeoutMs = options.welcomeTimeoutMs ?? 10_000;
  const minFrameGapMs = options.minFrameGapMs ?? 100;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const maxBatchBytes = LIMITS.maxFrameBytes / 2 - ENVELOPE_BYTES;

  let state: ConnectionState = "connecting";
  /** The last state that was logged, so each change is logged once. */
  let logged: ConnectionState | undefined;
  let socket: WebSocket | undefined;
  let welcomed = false;
  let sentUpTo = -1;
  let ackedUpTo = -1;
  let lastFrameAt = 0;
  let pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** A batch is being read from the spool. */
  let pumping = false;
  /** Set by close(): no more frames go out. */
  let draining = false;
  let onAcked: (() => void) | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let welcomeTimer: ReturnType<typeof setTimeout> | undefined;
  let lastError = "";
  let closing: (() => void) | undefined;

  function announce(next: ConnectionState, message: string): void {
    state = next;
    if (logged === next) return;
    logged = next;
    log(message);
  }

  function clearTimers(): void {
    clearTimeout(pumpTimer);
    clearTimeout(welcomeTimer);
    clearTimeout(retryTimer);
    pumpTimer = welcomeTimer = retryTimer = undefined;
  }

  function dial(): void {
    retryTimer = undefined;
    if (state === "closed") return;
    welcomed = false;
    lastError = "";
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      scheduleRetry(1006, "");
      return;
    }
    socket = ws;
    welcomeTimer = setTimeout(() => {
      lastError = `no welcome within ${welcomeTimeoutMs} ms`;
      ws.close(CLOSE.handshakeTimeout, "no welcome");
    }, welcomeTimeoutMs);
    ws.onopen = () => ws.send(JSON.stringify(options.hello()));
    ws.onerror = (event) => {
      // The first reason stands: when the welcome timer closed a slow handshake, the abort's
      // "operation canceled" must not hide "no welcome within".
      lastError ||= (event as ErrorEvent).message;
    };
    ws.onmessage = (event) => {
      if (socket === ws) onFrame(ws, event.data);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = undefined;
      clearTimeout(welcomeTimer);
      clearTimeout(pumpTimer);
      welcomeTimer = pumpTimer = undefined;
      if (closing) {
        state = "closed";
        closing();
        return;
      }
      if (
        options.onRejected &&
        (event.code === CLOSE.invalidFrame || event.code === CLOSE.tooLarge)
      ) {
        options.onRejected().finally(() => scheduleRetry(event.code, event.reason));
      } else {
        scheduleRetry(event.code, event.reason);
      }
    };
  }

  function scheduleRetry(code: number, reason: string): void {
    const wasConnected = welcomed;
    welcomed = false;
    if (state === "closed") return;
    let delay: number;
    if (code === CLOSE.unauthorized) {
      delay = refusedRetryMs;
      announce(
        "refused",
        `master at ${url} refused the join token; check --token (or GRIDMON_TOKEN) against the ` +
          `token \`gridmon master\` printed; sampling continues, retrying every ` +
          `${Math.round(refusedRetryMs / 1000)} s`,
      );
    } else if (code === CLOSE.machineIdClash) {
      delay = refusedRetryMs;
      announce(
        "refused",
        `master at ${url} refused this worker: another host is connected with the same machine ` +
          `id (a cloned VM image or container shares /etc/machine-id). Give this machine an id of ` +
          `its own: --machine-id ID or GRIDMON_MACHINE_ID=ID (e.g. the output of uuidgen), then ` +
          `restart the worker; sampling continues, retrying every ` +
          `${Math.round(refusedRetryMs / 1000)} s`,
      );
    } else if (code === CLOSE.badVersion) {
      delay = refusedRetryMs;
      announce(
        "refused",
        `master at ${url} does not speak protocol version ${PROTOCOL_VERSION}` +
          `${reason ? ` (${reason})` : ""}; upgrade the worker or the master; retrying every ` +
          `${Math.round(refusedRetryMs / 1000)} s`,
      );
    } else {
      delay = backoff.next();
      const why = lastError || describeClose(code, reason);
      announce(
        "down",
        wasConnected
          ? `disconnected from ${url}: ${why}; reconnecting with backoff (up to 30 s), samples are spooled meanwhile`
          : `cannot connect to ${url}: ${why}; retrying with backoff (up to 30 s), samples are spooled meanwhile`,
      );
    }
    retryTimer = setTimeout(dial, delay);
  }

  function onFrame(ws: WebSocket, data: unknown): void {
    if (typeof data !== "string") {
      lastError = "the master sent a binary frame";
      ws.close(CLOSE.invalidFrame, "binary frames are not accepted");
      return;
    }
    const parsed = parseMasterFrameLite(data);
    if (!parsed.ok) {
      lastError = `the master sent an invalid frame (${parsed.reason})`;
      ws.close(CLOSE.invalidFrame, parsed.reason.slice(0, 100));
      return;
    }
    const frame = parsed.frame;
    if (frame.type === "welcome") {
      if (welcomed) return;
      clearTimeout(welcomeTimer);
      spool.rebase(frame.lastSeq).then(() => {
        if (socket !== ws) return;
        welcomed = true;
        sentUpTo = ackedUpTo = frame.lastSeq;
        announce(
          "connected",
          `connected to ${url} as "${frame.name}" (master has up to seq ${frame.lastSeq}; ` +
            `${spool.pendingCount} samples to send)`,
        );
        pump();
      }, (error) => log(`spool: ${error instanceof Error ? error.message : error}`));
      return;
    }
    if (!welcomed) return;
    if (frame.seq > ackedUpTo) {
      ackedUpTo = frame.seq;
      onAcked?.();
      backoff.reset(); // the whole path works: the next outage starts with short delays
      spool.ack(frame.seq).then(
        () => pump(),
        (error) => log(`spool: ${error instanceof Error ? error.message : error}`),
      );
    }
  }

  /** Sends the next batch when the link, the frame pacing and the in-flight window allow. */
  function pump(): void {
    const ws = socket;
    if (!ws || !welcomed || draining || pumping || pumpTimer !== undefined) return;
    if (ws.readyState !== WebSocket.OPEN || !spool.hasAfter(sentUpTo)) return;
    if (sentUpTo - ackedUpTo >= maxInFlight) return; // the next ack calls pump()
    const wait = Math.max(
      lastFrameAt + minFrameGapMs - Date.now(),
      ws.bufferedAmount > MAX_BUFFERED_BYTES ? minFrameGapMs : 0,
    );
    if (wait > 0) {
      pumpTimer = setTimeout(() => {
        pumpTimer = undefined;
        pump();
      }, wait);
      return;
    }
    const room = Math.min(LIMITS.maxSamplesPerFrame, maxInFlight - (sentUpTo - ackedUpTo));
    pumping = true;
    spool.batchAfter(sentUpTo, room, maxBatchBytes).then((batch) => {
      pumping = false;
      // The link may have changed while the spool read from disk.
      if (!batch || socket !== ws || !welcomed || draining) return;
      if (ws.readyState !== WebSocket.OPEN) return;
      if (batch.firstSeq <= sentUpTo) return;
      ws.send(
        `{"type":"samples","v":${PROTOCOL_VERSION},"dropped":${spool.dropped},"samples":[${
          batch.lines.join(",")
        }]}`,
      );
      sentUpTo = batch.lastSeq;
      lastFrameAt = Date.now();
      pump();
    }, (error) => {
      pumping = false;
      log(`spool: cannot read pending samples: ${error instanceof Error ? error.message : error}`);
    });
  }

  dial();

  return {
    get state() {
      return state;
    },
    notify() {
      pump();
    },
    async close() {
      draining = true;
      clearTimers();
      if (socket && welcomed && sentUpTo > ackedUpTo) {
        // Let the master acknowledge what it has, so the next start replays less.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.drainMs ?? 1000);
          onAcked = () => {
            if (ackedUpTo < sentUpTo) return;
            clearTimeout(timer);
            resolve();
          };
        });
        onAcked = undefined;
      }
      const ws = socket;
      if (!ws || ws.readyState === WebSocket.CLOSED) {
        state = "closed";
        return;
      }
      return await new Promise<void>((resolve) => {
        const done = setTimeout(() => {
          state = "closed";
          socket = undefined;
          resolve();
        }, 2000);
        closing = () => {
          clearTimeout(done);
          resolve();
        };
        ws.close(CLOSE.normal, "worker shutting down");
      });
    },
  };
}
