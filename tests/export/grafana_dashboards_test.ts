/**
 * Every panel of examples/grafana/*.json, after Grafana's template variables are substituted,
 * returns data for a simulated fleet: from remote-write data in VictoriaMetrics, and from a
 * real Prometheus scraping the same master's /metrics.
 */
import assert from "node:assert/strict";
import { labelValues, promRange, startPrometheus, startVictoriaMetrics } from "./db_servers.ts";
import { simulate, startExportingMaster } from "./export_scenario.ts";

const DIR = new URL("../../examples/grafana/", import.meta.url);
const DASHBOARDS = ["fleet.json", "machine.json", "anomalies.json"];

interface Query {
  dashboard: string;
  title: string;
  expr: string;
}

interface Dashboard {
  panels: { title: string; targets?: { expr?: string }[] }[];
  annotations: { list: { name: string; expr?: string }[] };
  templating: { list: { name: string; type: string; definition?: string }[] };
}

async function load(name: string): Promise<Dashboard> {
  return JSON.parse(await Deno.readTextFile(new URL(name, DIR)));
}

async function queries(): Promise<{ panels: Query[]; variables: Query[] }> {
  const panels: Query[] = [];
  const variables: Query[] = [];
  for (const dashboard of DASHBOARDS) {
    const d = await load(dashboard);
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        if (t.expr) panels.push({ dashboard, title: p.title, expr: t.expr });
      }
    }
    for (const a of d.annotations.list) {
      if (a.expr) panels.push({ dashboard, title: `annotation ${a.name}`, expr: a.expr });
    }
    for (const v of d.templating.list) {
      if (v.type === "query") {
        variables.push({ dashboard, title: `$${v.name}`, expr: v.definition! });
      }
    }
  }
  return { panels, variables };
}

/** What Grafana puts in place of the variables (master: "All"). */
function substitute(expr: string, name: string): string {
  return expr
    .replaceAll("$master", ".*")
    .replaceAll("$name", name)
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__range", "20m");
}

/** Panels with no data, as "dashboard: title". */
async function emptyPanels(url: string, list: Query[], name: string, from: number, to: number) {
  const empty = new Set<string>();
  for (const q of list) {
    const result = await promRange(url, substitute(q.expr, name), from, to);
    const points = result.flatMap((s) => s.values).filter(([, v]) => v !== "NaN");
    if (points.length === 0) empty.add(`${q.dashboard}: ${q.title}`);
  }
  return [...empty].sort();
}

/** Template variables with no values: label_values(SELECTOR, LABEL). */
async function emptyVariables(url: string, list: Query[]) {
  const empty: string[] = [];
  for (const q of list) {
    const m = /^label_values\((.+), (\w+)\)$/.exec(substitute(q.expr, ""));
    assert.ok(m, `${q.dashboard} ${q.title}: ${q.expr} is label_values(selector, label)`);
    if ((await labelValues(url, m[2], m[1])).length === 0) empty.push(`${q.dashboard}: ${q.title}`);
  }
  return empty.sort();
}

/** The simulator makes no pressure or temperature readings, so these panels stay empty. */
const NOT_SIMULATED = ["machine.json: Pressure (PSI, 10 s)", "machine.json: Temperatures"];

Deno.test({
  name:
    "grafana: every panel's PromQL returns data from remote write (VictoriaMetrics) and from scraping /metrics (Prometheus)",
  sanitizeResources: false,
  async fn() {
    const { panels, variables } = await queries();
    assert.ok(panels.length >= 30, `${panels.length} queries`);
    const vm = await startVictoriaMetrics();
    const master = await startExportingMaster(["--remote-write", vm.writeUrl]);
    const prometheus = await startPrometheus(new URL(master.httpUrl).host);
    try {
      // 15 minutes back-filled (the detector warms up after 2), a CPU fault on sim-0001 that
      // opens and closes an anomaly event, then 25 s live while Prometheus scrapes.
      await simulate(master, {
        workers: 4,
        seconds: 15 * 60 + 25,
        backfillSeconds: 15 * 60,
        seed: "grafana",
        faults: "cpu@8m+2m:sim-0001",
      });
      await new Promise((r) => setTimeout(r, 3000));
      const to = Date.now();
      const from = to - 20 * 60_000;
      assert.deepEqual(
        await emptyPanels(vm.url, panels, "sim-0001", from, to),
        NOT_SIMULATED,
        "remote write: panels without data",
      );
      assert.deepEqual(await emptyVariables(vm.url, variables), []);
      // /metrics has no anomaly events and no master label (Prometheus's own labels would add it).
      assert.deepEqual(
        await emptyPanels(prometheus.url, panels, "sim-0001", from, to),
        [
          "anomalies.json: Closed events: peak score and cause (remote write)",
          "anomalies.json: Open anomaly events (remote write)",
          "anomalies.json: annotation Anomaly events",
          "machine.json: annotation Anomaly events",
          ...NOT_SIMULATED,
        ].sort(),
        "scraped /metrics: panels without data",
      );
      assert.deepEqual(await emptyVariables(prometheus.url, variables), [
        "anomalies.json: $master",
        "fleet.json: $master",
        "machine.json: $master",
      ]);
    } finally {
      await prometheus.close();
      await master.cleanup();
      await vm.close();
    }
  },
});
