/**
 * One worker connection on /ws/worker: handshake with the join token, then validated sample
 * frames into the hub. Independent of the WebSocket library: it gets a small socket interface.
 */
import { LIMITS } from "../protocol/limits.ts";
import { machineIdClash } from "./machine_id_clash.ts";
import { CLOSE, HelloSchema } from "../protocol/messages.ts";
import { exceedsUtf8Bytes, parseWorkerFrame, validateFrame } from "../protocol/validate.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { type IngestHub, type IngestSession, machineInfoFromHello } from "./ingest_hub.ts";
import type { HandshakeGate, HandshakeTicket } from "./handshake_gate.ts";
import { countRefusal, type IngestStats } from "./ingest_stats.ts";
import { createTokenBucket } from "./token_bucket.ts";
import { tokensEqual } from "./tokens.ts";

/** What a connection needs from its socket. */
export interface WorkerSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /**
   * Raises the largest frame the socket reads, after the hello (before it, the socket must
   * refuse frames over MAX_HELLO_BYTES at the frame header and call `onOversized`).
   */
  allowFrames?(bytes: number): void;
}

export interface WorkerConnectionOptions {
  hub: IngestHub;
  stats: IngestStats;
  joinToken: string;
  log: (line: string) => void;
  /** Where the connection comes from, for log lines. */
  peer: string;
  /** The peer's address without the port (the unit of per-address limits). */
  address?: string;
  /** How long a worker may take to say hello (default 10 s). */
  handshakeTimeoutMs?: number;
  /**
   * Admission of connections still waiting for their hello, shared by all connections: makes
   * room by closing idle ones, or refuses with 1013 (try again later). See handshake_gate.ts.
   */
  gate?: HandshakeGate;
  now?: () => number;
}

/** The one reason every refused handshake gets, whatever the cause. */
export const UNAUTHORIZED_REASON = "unauthorized";

/**
 * Largest first frame accepted before the token is checked. A hello is a few short strings, so
 * an unauthenticated peer never makes the master parse a megabyte of JSON.
 */
export const MAX_HELLO_BYTES = 32 * 1024;

/** How long a worker may take to say hello (it sends it right after the upgrade; a master starved
 * of CPU while a whole fleet reconnects needs the slack). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

const BUSY_REASON = "too many connections waiting to say hello; try again later";

/** Close reasons are limited to 123 bytes of UTF-8. */
function clampReason(reason: string): string {
  let out = reason;
  while (exceedsUtf8Bytes(out, 123)) out = out.slice(0, -1);
  return out;
}

/** Events of one connection, to wire to the socket's handlers. */
export interface WorkerConnection {
  onMessage(data: unknown): void;
  /** The socket refused a frame over `limit` bytes at its header, before reading it. */
  onOversized(limit: number): void;
  onClose(): void;
}

/** Starts the protocol on an open socket (and the handshake deadline). */
export function acceptWorkerConnection(
  socket: WorkerSocket,
  options: WorkerConnectionOptions,
): WorkerConnection {
  const { hub, stats, log, peer } = options;
  const now = options.now ?? Date.now;
  const bucket = createTokenBucket(LIMITS.maxFramesPerSecond, LIMITS.maxFramesPerSecond);
  let session: IngestSession | undefined;
  let closed = false;
  let ticket: HandshakeTicket | undefined;
  const settle = () => {
    ticket?.settle();
    ticket = undefined;
  };

  const close = (code: number, reason: string, kind: string, detail = reason) => {
    if (closed) return;
    closed = true;
    clearTimeout(deadline);
    settle();
    countRefusal(stats, kind);
    if (code !== CLOSE.goingAway) { // a shutdown is logged once by the hub, not per worker
      log(
        `worker ${
          session ? JSON.stringify(session.machineId) : peer
        }: closing (${code}): ${detail}`,
      );
    }
    if (session) hub.detach(session);
    try {
      socket.close(code, clampReason(reason));
    } catch {
      // already closing
    }
  };
  const refuse = (detail: string) =>
    close(CLOSE.unauthorized, UNAUTHORIZED_REASON, "unauthorized", `refused: ${detail}`);

  const deadline = setTimeout(
    () => close(CLOSE.handshakeTimeout, "no hello in time", "handshake_timeout"),
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
  );
  const admitted = options.gate?.admit({
    address: options.address ?? peer,
    evict: () => close(CLOSE.tryAgainLater, BUSY_REASON, "evicted_idle"),
  });
  if (admitted === "busy") close(CLOSE.tryAgainLater, BUSY_REASON, "busy");
  else ticket = admitted;

  function handshake(text: string): void {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return refuse("first frame is not JSON");
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      return refuse("first frame is not an object");
    }
    const { type, token, v } = data as Record<string, unknown>;
    if (type !== "hello") return refuse(`first frame is ${JSON.stringify(type)}, not hello`);
    if (typeof token !== "string" || token === "") return refuse("no token");
    if (token.length > LIMITS.maxTokenLength) return refuse(`token of ${token.length} chars`);
    if (!tokensEqual(token, options.joinToken)) return refuse("wrong token");
    if (v !== PROTOCOL_VERSION) {
      return close(
        CLOSE.badVersion,
        `protocol version ${JSON.stringify(v)} is not ${PROTOCOL_VERSION}`,
        "bad_version",
      );
    }
    const hello = validateFrame(data, HelloSchema);
    if (!hello.ok) return close(CLOSE.invalidFrame, hello.reason, "invalid_frame");
    clearTimeout(deadline);
    const own: IngestSession = {
      machineId: hello.frame.machineId,
      hostname: hello.frame.hostname,
      peer: options.address ?? peer,
      lastFrameAt: now(),
      ack(seq) {
        if (!closed) socket.send(JSON.stringify({ type: "ack", v: PROTOCOL_VERSION, seq }));
      },
      close(code, reason) {
        close(code, reason, "closed_by_master");
      },
    };
    const info = machineInfoFromHello(hello.frame, hub.fallbackName(hello.frame.machineId));
    const row = hub.attach(own, info);
    if (row === "duplicate") {
      const clash = machineIdClash(hub.holderOf(info.id), own);
      if (clash) {
        const seen = hub.recordClash(info.id, { hostname: own.hostname!, peer: own.peer! });
        if (seen.attempts === 1) log(clash.log);
        return close(CLOSE.machineIdClash, clash.reason, "machine_id_clash");
      }
      return close(
        CLOSE.duplicateMachine,
        "another connection holds this machine id",
        "duplicate_machine",
      );
    }
    if ("beingDeleted" in row) {
      return close(CLOSE.tryAgainLater, row.beingDeleted, "machine_being_deleted");
    }
    if ("storageError" in row) {
      return close(
        CLOSE.tryAgainLater,
        `master cannot store samples now (${row.storageError}); retry later`,
        "storage_failing",
      );
    }
    session = own;
    settle();
    socket.allowFrames?.(LIMITS.maxFrameBytes);
    stats.connectionsAccepted++;
    log(`worker ${JSON.stringify(row.id)} (${JSON.stringify(row.name)}) connected from ${peer}`);
    socket.send(
      JSON.stringify({
        type: "welcome",
        v: PROTOCOL_VERSION,
        machineId: row.id,
        name: row.name,
        lastSeq: row.lastSeq,
      }),
    );
  }

  function samples(text: string): void {
    const result = parseWorkerFrame(text);
    if (!result.ok) {
      if (result.tooLarge) return close(CLOSE.tooLarge, result.reason, "too_large");
      return close(CLOSE.invalidFrame, result.reason, "invalid_frame");
    }
    const frame = result.frame;
    if (frame.type !== "samples") {
      return close(CLOSE.invalidFrame, "hello was already received", "invalid_frame");
    }
    const id = session!.machineId;
    const stranger = frame.samples.findIndex((s) => s.machineId !== id);
    if (stranger >= 0) {
      return close(
        CLOSE.invalidFrame,
        `samples[${stranger}].machineId: does not match hello`,
        "invalid_frame",
      );
    }
    hub.enqueue(session!, frame.samples, frame.dropped);
  }

  return {
    onMessage(data: unknown): void {
      if (closed) return;
      stats.framesReceived++;
      if (!bucket.take(now())) {
        return close(
          CLOSE.rateLimited,
          `more than ${LIMITS.maxFramesPerSecond} frames per second`,
          "rate_limited",
        );
      }
      if (typeof data !== "string") {
        const size = data instanceof ArrayBuffer
          ? data.byteLength
          : data instanceof Blob
          ? data.size
          : 0;
        if (size > LIMITS.maxFrameBytes) {
          return close(
            CLOSE.tooLarge,
            `frame larger than ${LIMITS.maxFrameBytes} bytes`,
            "too_large",
          );
        }
        if (!session) return refuse("binary first frame");
        return close(CLOSE.invalidFrame, "binary frames are not accepted", "invalid_frame");
      }
      if (exceedsUtf8Bytes(data, LIMITS.maxFrameBytes)) {
        return close(
          CLOSE.tooLarge,
          `frame larger than ${LIMITS.maxFrameBytes} bytes`,
          "too_large",
        );
      }
      if (!session) {
        if (exceedsUtf8Bytes(data, MAX_HELLO_BYTES)) {
          return refuse(`first frame over ${MAX_HELLO_BYTES} bytes`);
        }
        handshake(data);
      } else {
        samples(data);
      }
    },
    onOversized(limit: number): void {
      if (closed) return;
      stats.framesReceived++;
      if (!session) return refuse(`first frame over ${limit} bytes`);
      close(CLOSE.tooLarge, `frame larger than ${limit} bytes`, "too_large");
    },
    onClose(): void {
      clearTimeout(deadline);
      settle();
      if (!closed && session) log(`worker ${JSON.stringify(session.machineId)} disconnected`);
      closed = true;
      if (session) hub.detach(session);
    },
  };
}
