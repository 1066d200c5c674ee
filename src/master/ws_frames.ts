/**
 * Per-connection frame limits and liveness for the master's WebSockets (the npm `ws` library
 * behind @hono/node-server). `ws` reads a frame's length from its header and refuses a frame over
 * `maxPayload` before reading its payload, so a limit bites before the bytes are held (Deno's own
 * WebSocket server buffers whole frames of up to 64 MiB first).
 *
 * `ws` has one `maxPayload` per server and answers an oversized frame with 1009. A worker needs a
 * smaller limit before its hello than after, and the protocol's own close codes, so this module
 * reaches into the receiver of `ws` 8 (`_receiver`, `_maxPayload`: pinned in deno.json, covered
 * by tests/master/frame_limit_test.ts, which fails if a new version moves them).
 */
// @ts-types="@types/ws"
import type { WebSocket } from "ws";

interface Receiver {
  _maxPayload: number;
  prependListener(event: "error", listener: (error: Error & { code?: string }) => void): void;
}

function receiverOf(ws: WebSocket): Receiver {
  const receiver = (ws as unknown as { _receiver?: Receiver })._receiver;
  if (!receiver || typeof receiver._maxPayload !== "number") {
    throw new Error("ws: no frame receiver on this socket (library changed?)");
  }
  return receiver;
}

/** Largest message (all its fragments) this socket accepts from now on, in bytes. */
export function setFrameLimit(ws: WebSocket, bytes: number): void {
  receiverOf(ws)._maxPayload = bytes;
}

/**
 * Calls `onOversized` when a frame's header announces more than the socket's limit, before `ws`
 * closes with 1009: a close sent from `onOversized` is the one the peer gets. Any other protocol
 * error of the peer (bad UTF-8, a masked-frame violation) is left to `ws` (1002/1007).
 */
export function onOversizedFrame(ws: WebSocket, onOversized: (limit: number) => void): void {
  const receiver = receiverOf(ws);
  receiver.prependListener("error", (error) => {
    if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") onOversized(receiver._maxPayload);
  });
  // `ws` emits the error on the socket too; without a listener it would be thrown.
  ws.on("error", () => {});
}

/**
 * Pings the peer every `everyMs`; a peer that has not answered the previous ping by then (nor
 * sent anything) is cut off and `onDead` is called. Returns a stop function.
 */
export function keepAlive(ws: WebSocket, everyMs: number, onDead: () => void): () => void {
  let heard = true;
  const hear = () => (heard = true);
  ws.on("pong", hear);
  ws.on("message", hear);
  const timer = setInterval(() => {
    if (!heard) {
      clearInterval(timer);
      onDead();
      ws.terminate();
      return;
    }
    heard = false;
    try {
      ws.ping();
    } catch {
      // closing already
    }
  }, everyMs);
  const stop = () => clearInterval(timer);
  ws.on("close", stop);
  return stop;
}
