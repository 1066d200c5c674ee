/** Periodic retention: deletes old rows once a minute (the store deletes in small chunks). */
import type { IngestStats } from "./ingest_stats.ts";
import type { Store } from "./store/store_types.ts";

/** Starts the loop; returns a function that stops it. */
export function startRetentionLoop(options: {
  store: Store;
  stats: IngestStats;
  log: (line: string) => void;
  everyMs?: number;
  now?: () => number;
}): () => void {
  const { store, stats, log } = options;
  const now = options.now ?? Date.now;
  const run = () => {
    const started = performance.now();
    try {
      const deleted = store.applyRetention(now());
      stats.retentionRowsDeleted += deleted;
      const ms = performance.now() - started;
      if (deleted > 0) log(`retention: deleted ${deleted} rows in ${ms.toFixed(0)} ms`);
    } catch (error) {
      log(`retention failed: ${String(error)}`);
    }
  };
  const timer = setInterval(run, options.everyMs ?? 60_000);
  return () => clearInterval(timer);
}
