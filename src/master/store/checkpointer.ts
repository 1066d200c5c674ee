/**
 * Background WAL checkpoints. With SQLite's automatic checkpoints, the commit that crosses the
 * threshold copies the WAL into the database and fsyncs both, inside `write()`: 100-200 ms of
 * stall for a 32 MB WAL on this kind of disk, straight into the acknowledgement latency. Here a
 * worker thread opens its own connection, runs a PASSIVE checkpoint (it never blocks the
 * writer) and closes the connection again, so terminating the worker leaves nothing open. The
 * store pokes it after each commit, so it works while the writer is idle and catches up, which
 * lets the next writer restart the WAL from its beginning. The writer keeps a high automatic
 * threshold as a safety net.
 */

// state[0]: 0 idle, 1 checkpointing, 2 stopped (set by the owner; no checkpoint starts after).
const WORKER_SOURCE = `
import { DatabaseSync } from "node:sqlite";
let path;
let state;
let minGapMs = 200;
let last = 0;
function checkpoint() {
  if (Atomics.compareExchange(state, 0, 0, 1) !== 0) return;
  last = Date.now();
  let db;
  try {
    db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 0");
    db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
  } catch (error) {
    self.postMessage({ error: String(error) });
  } finally {
    try { db?.close(); } catch { /* already closed */ }
    Atomics.store(state, 0, 0);
    Atomics.notify(state, 0);
  }
}
self.onmessage = (event) => {
  if (event.data === "poke") {
    if (path && Date.now() - last >= minGapMs) checkpoint();
    return;
  }
  ({ path, minGapMs } = event.data);
  state = new Int32Array(event.data.state);
  setInterval(() => { if (Date.now() - last >= event.data.everyMs) checkpoint(); }, event.data.everyMs);
};
`;

/** A running background checkpointer. */
export interface Checkpointer {
  /** Asks for a checkpoint now (right after a commit, while the writer is idle). */
  poke(): void;
  stop(): void;
}

/**
 * Starts checkpointing the database at `path` from a worker thread: when poked (at most every
 * `minGapMs`, default 200 ms) and at least every `everyMs` (default 1 s).
 */
export function startCheckpointer(
  path: string,
  options: { everyMs?: number; minGapMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  URL.revokeObjectURL(url);
  worker.onmessage = (event: MessageEvent<{ error?: string }>) => {
    if (event.data?.error) options.onError?.(event.data.error);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    options.onError?.(event.message);
  };
  const state = new Int32Array(new SharedArrayBuffer(4));
  worker.postMessage({
    state: state.buffer,
    path,
    everyMs: options.everyMs ?? 1000,
    minGapMs: options.minGapMs ?? 200,
  });
  let stopped = false;
  return {
    poke() {
      if (!stopped) worker.postMessage("poke");
    },
    /** Waits for a running checkpoint to finish (its connection closed), then ends the worker. */
    stop() {
      if (stopped) return;
      stopped = true;
      const deadline = Date.now() + 10_000;
      while (Atomics.compareExchange(state, 0, 0, 2) === 1 && Date.now() < deadline) {
        Atomics.wait(state, 0, 1, 50);
      }
      worker.terminate();
    },
  };
}
