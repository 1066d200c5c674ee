/** InfluxDB line protocol into a real InfluxDB 1.x. */
import assert from "node:assert/strict";
import { influxQuery, startInfluxDb } from "./db_servers.ts";
import { simulate, startExportingMaster, storedCounts } from "./export_scenario.ts";

async function influxCounts(url: string, field: string): Promise<Map<string, number>> {
  const series = await influxQuery(
    url,
    "gridmon",
    `SELECT count("${field}") FROM "gridmon" WHERE time > now() - 2h GROUP BY "machine"`,
  );
  return new Map(series.map((s) => [s.tags!.machine, Number(s.values[0][1])]));
}

Deno.test("influx: InfluxDB 1.x holds one value per stored sample per machine, fields named like /metrics", async () => {
  const influx = await startInfluxDb();
  const created = await fetch(`${influx.url}/query`, {
    method: "POST",
    body: new URLSearchParams({ q: "CREATE DATABASE gridmon" }),
  });
  assert.equal(created.status, 200, await created.text());
  const master = await startExportingMaster([
    "--influx-write",
    influx.url,
    "--influx-db",
    "gridmon",
    "--external-label",
    "master=influx-test",
  ]);
  try {
    const stats = await simulate(master, { workers: 3, seconds: 60, seed: "influx" });
    assert.equal(stats.acked, 3 * 60);
    let counts = new Map<string, number>();
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      counts = await influxCounts(influx.url, "anomalous");
      if ([...counts.values()].reduce((a, b) => a + b, 0) >= stats.acked) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await master.stop();
    const stored = storedCounts(master.dataDir);
    assert.equal(stored.size, 3);
    assert.deepEqual(counts, stored);
    assert.deepEqual(await influxCounts(influx.url, "memory_used_bytes"), stored);
    const tags = await influxQuery(
      influx.url,
      "gridmon",
      'SHOW TAG VALUES FROM "gridmon" WITH KEY = "master"',
    );
    assert.deepEqual(tags[0].values, [["master", "influx-test"]]);
    const fields = await influxQuery(influx.url, "gridmon", 'SHOW FIELD KEYS FROM "gridmon"');
    const names = new Set(fields[0].values.map((v) => v[0]));
    for (
      const f of [
        "cpu_usage_percent",
        "network_receive_bytes_total",
        "filesystem_used_percent",
        "load1",
      ]
    ) {
      assert.ok(names.has(f), f);
    }
  } finally {
    await master.cleanup();
    await influx.close();
  }
});

Deno.test("influx: a write the database refuses (no such database) is dropped with a log line and counted", async () => {
  const influx = await startInfluxDb();
  const master = await startExportingMaster([
    "--influx-write",
    influx.url,
    "--influx-db",
    "missing",
  ]);
  try {
    await simulate(master, { workers: 1, seconds: 5, seed: "influx-missing" });
    let metrics = "";
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      metrics = await (await fetch(`${master.httpUrl}/metrics`)).text();
      if (/gridmon_remote_values_dropped_total\{[^}]*reason="rejected"\} [1-9]/.test(metrics)) {
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(metrics, /gridmon_remote_values_dropped_total\{[^}]*reason="rejected"\} [1-9]/);
    assert.match(master.output(), /refused a batch for good \(HTTP 404: .*database not found/);
  } finally {
    await master.cleanup();
    await influx.close();
  }
});
