/** Two masters, each with its own fleet, write to one VictoriaMetrics: one fleet-wide view. */
import assert from "node:assert/strict";
import { promQuery, startVictoriaMetrics } from "./db_servers.ts";
import {
  promCounts,
  simulate,
  startExportingMaster,
  storedCounts,
  waitForTotal,
} from "./export_scenario.ts";

Deno.test("remote write: two masters into one VictoriaMetrics give the complete union, labelled by master", async () => {
  const vm = await startVictoriaMetrics();
  const east = await startExportingMaster([
    "--remote-write",
    vm.writeUrl,
    "--external-label",
    "master=east",
  ]);
  const west = await startExportingMaster([
    "--remote-write",
    vm.writeUrl,
    "--external-label",
    "master=west",
  ]);
  try {
    const [a, b] = await Promise.all([
      simulate(east, { workers: 3, seconds: 40, seed: "east", prefix: "east" }),
      simulate(west, { workers: 2, seconds: 40, seed: "west", prefix: "west" }),
    ]);
    const at = Date.now();
    const union = await waitForTotal(
      () => promCounts(vm.url, "gridmon_anomalous", at),
      a.acked + b.acked,
    );
    await Promise.all([east.stop(), west.stop()]);
    const stored = new Map([...storedCounts(east.dataDir), ...storedCounts(west.dataDir)]);
    assert.equal(stored.size, 5);
    assert.deepEqual(union, stored);
    for (const [master, dir] of [["east", east.dataDir], ["west", west.dataDir]]) {
      assert.deepEqual(
        await promCounts(vm.url, "gridmon_anomalous", at, `,master="${master}"`),
        storedCounts(dir),
      );
    }
    const perMaster = await promQuery(vm.url, "count by (master) (gridmon_memory_used_bytes)", at);
    assert.deepEqual(
      Object.fromEntries(perMaster.map((r) => [r.metric.master, r.value[1]])),
      { east: "3", west: "2" },
    );
  } finally {
    await east.cleanup();
    await west.cleanup();
    await vm.close();
  }
});
