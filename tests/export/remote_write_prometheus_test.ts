/** Remote write into a real Prometheus (its remote-write receiver). */
import assert from "node:assert/strict";
import { startPrometheus } from "./db_servers.ts";
import {
  promCounts,
  simulate,
  startExportingMaster,
  storedCounts,
  waitForTotal,
} from "./export_scenario.ts";

Deno.test("remote write: Prometheus's receiver holds one point per stored sample per machine", async () => {
  const prometheus = await startPrometheus();
  const master = await startExportingMaster(["--remote-write", prometheus.writeUrl]);
  try {
    const stats = await simulate(master, { workers: 3, seconds: 60, seed: "prom" });
    assert.equal(stats.acked, 3 * 60);
    const at = Date.now();
    const exported = await waitForTotal(
      () => promCounts(prometheus.url, "gridmon_anomalous", at),
      stats.acked,
    );
    await master.stop();
    const stored = storedCounts(master.dataDir);
    assert.equal(stored.size, 3);
    assert.deepEqual(exported, stored);
    assert.deepEqual(await promCounts(prometheus.url, "gridmon_memory_used_bytes", at), stored);
  } finally {
    await master.cleanup();
    await prometheus.close();
  }
});
