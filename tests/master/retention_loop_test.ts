import assert from "node:assert/strict";
import { createIngestStats } from "../../src/master/ingest_stats.ts";
import { startRetentionLoop } from "../../src/master/retention_loop.ts";
import { createMemoryStore } from "./memory_store.ts";
import { waitFor } from "./test_master.ts";

Deno.test("the retention loop calls the store again while chunks are deleted, then waits", async () => {
  const store = createMemoryStore();
  const chunks = [500, 500, 120, 0];
  let calls = 0;
  store.applyRetention = () => chunks[calls++] ?? 0;
  const stats = createIngestStats();
  const logs: string[] = [];
  const stop = startRetentionLoop({
    store,
    stats,
    log: (line) => logs.push(line),
    everyMs: 5,
    pauseMs: 1,
  });
  try {
    await waitFor(() => calls >= 5, "a second sweep");
    assert.equal(stats.retentionRowsDeleted, 1120);
    assert.match(logs[0], /retention: deleted 1120 rows/);
  } finally {
    stop();
  }
});

Deno.test("a failing retention sweep is logged and the loop goes on", async () => {
  const store = createMemoryStore();
  let calls = 0;
  store.applyRetention = () => {
    calls++;
    throw new Error("database is locked");
  };
  const logs: string[] = [];
  const stop = startRetentionLoop({
    store,
    stats: createIngestStats(),
    log: (line) => logs.push(line),
    everyMs: 2,
  });
  try {
    await waitFor(() => calls >= 2, "two sweeps");
    assert.match(logs[0], /retention failed: Error: database is locked/);
  } finally {
    stop();
  }
});
