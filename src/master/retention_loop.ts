/**
 * Periodic retention. The store deletes at most a chunk of rows per call, so the loop calls it
 * again after a short pause while it still finds rows to delete: ingest runs between chunks and
 * never waits for a whole sweep.
 */
import type { IngestStats } from "./ingest_stats.ts";
import type { Store } from "./store/store_types.ts";

export interface RetentionLoopOptions {
  store: Store;
  stats: IngestStats;
  log: (line: string) => void;
  /** Time between sweeps (default one minute). */
  everyMs?: number;
  /** Pause between chunks of one sweep (default 20 ms). */
  pauseMs?: number;
  now?: () => number;
}

/** Starts the loop; returns a function that stops it. */
export function startRetentionLoop(options: RetentionLoopOptions): () => void {
  const { store, stats, log } = options;
  const now = options.now ?? Date.now;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let sweepDeleted = 0;
  let sweepStarted = 0;

  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(step, ms);
  };

  function step(): void {
    if (sweepDeleted === 0) sweepStarted = performance.now();
    let deleted = 0;
    try {
      deleted = store.applyRetention(now());
    } catch (error) {
      log(`retention failed: ${String(error)}`);
    }
    stats.retentionRowsDeleted += deleted;
    sweepDeleted += deleted;
    if (deleted > 0) return schedule(options.pauseMs ?? 20);
    if (sweepDeleted > 0) {
      const s = (performance.now() - sweepStarted) / 1000;
      log(`retention: deleted ${sweepDeleted} rows in ${s.toFixed(1)} s`);
    }
    sweepDeleted = 0;
    schedule(options.everyMs ?? 60_000);
  }

  schedule(options.everyMs ?? 60_000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
