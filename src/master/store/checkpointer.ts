/**
 * Background WAL checkpoints. With SQLite's automatic checkpoints, the commit that crosses the
 * threshold copies the WAL into the database and fsyncs both, inside `write()`: 100-200 ms of
 * stall for a 32 MB WAL on this kind of disk, straight into the acknowledgement latency. Here a
 * worker thread opens its own connection every `everyMs`, runs a PASSIVE checkpoint (it never
 * blocks the writer) and closes the connection again, so terminating the worker leaves nothing
 * open. The writer keeps a high automatic threshold as a safety net.
 */

const WORKER_SOURCE = `
import { DatabaseSync } from "node:sqlite";
let timer;
self.onmessage = (event) => {
  const { path, everyMs } = event.data;
  clearInterval(timer);
  timer = setInterval(() => {
    let db;
    try {
      db = new DatabaseSync(path);
      db.exec("PRAGMA busy_timeout = 0");
      db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
    } catch (error) {
      self.postMessage({ error: String(error) });
    } finally {
      try { db?.close(); } catch { /* already closed */ }
    }
  }, everyMs);
};
`;

/** A running background checkpointer. */
export interface Checkpointer {
  stop(): void;
}

/** Starts checkpointing the database at `path` every `everyMs` from a worker thread. */
export function startCheckpointer(
  path: string,
  options: { everyMs?: number; onError?: (message: string) => void } = {},
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
  worker.postMessage({ path, everyMs: options.everyMs ?? 1000 });
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      worker.terminate();
    },
  };
}
