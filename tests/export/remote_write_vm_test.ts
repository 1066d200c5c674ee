/** Remote write into a real VictoriaMetrics: every stored sample arrives, under /metrics's names. */
import assert from "node:assert/strict";
import { startVictoriaMetrics } from "./db_servers.ts";
import {
  masterMetrics,
  promCounts,
  simulate,
  startExportingMaster,
  storedCounts,
  waitForTotal,
} from "./export_scenario.ts";
import { promQuery } from "./db_servers.ts";

const MACHINES = 4;
const SECONDS = 60;

/** `name{labels}` of every machine series of a /metrics text, without the value. */
function exposedSeries(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.includes('machine="')) continue;
    const series = line.slice(0, line.lastIndexOf(" "));
    const brace = series.indexOf("{");
    const labels = Object.fromEntries(
      [...series.slice(brace).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    out.add(seriesKey({ __name__: series.slice(0, brace), ...labels }));
  }
  return out;
}

function seriesKey(metric: Record<string, string>): string {
  const { __name__: name, master: _master, site: _site, ...labels } = metric;
  const text = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(",");
  return `${name}{${text}}`;
}

Deno.test("remote write: VictoriaMetrics holds one point per stored sample per machine, under /metrics's series", async () => {
  const vm = await startVictoriaMetrics();
  const master = await startExportingMaster([
    "--remote-write",
    vm.writeUrl,
    "--external-label",
    "master=test-a",
    "--external-label",
    "site=lab",
  ]);
  try {
    const stats = await simulate(master, { workers: MACHINES, seconds: SECONDS });
    assert.equal(stats.acked, MACHINES * SECONDS);
    const at = Date.now();
    const exported = await waitForTotal(
      () => promCounts(vm.url, "gridmon_anomalous", at),
      stats.acked,
    );
    const exposition = await masterMetrics(master);
    await master.stop();
    const stored = storedCounts(master.dataDir);
    assert.equal(stored.size, MACHINES);
    assert.deepEqual(exported, stored, "points per machine in VictoriaMetrics = samples stored");
    // A metric every sample carries, counted the same way.
    assert.deepEqual(await promCounts(vm.url, "gridmon_memory_used_bytes", at), stored);

    // Every machine series /metrics shows exists in the database with the same name and labels
    // (plus master and the external labels).
    const inDb = await promQuery(vm.url, '{__name__=~"gridmon_.+",site="lab"}', at);
    assert.ok(inDb.every((r) => r.metric.master === "test-a" && r.metric.site === "lab"));
    const dbSeries = new Set(inDb.map((r) => seriesKey(r.metric)));
    const missing = [...exposedSeries(exposition)].filter((s) => !dbSeries.has(s));
    // /metrics's per-machine state series (up, info, last seen, alerts) are not samples.
    const notSamples = /^gridmon_(machine_|sample_timestamp)/;
    assert.deepEqual(missing.filter((s) => !notSamples.test(s)), []);
  } finally {
    await master.cleanup();
    await vm.close();
  }
});
