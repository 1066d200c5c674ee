/**
 * The network errors and drops family end to end, from its catalogue entries alone: charted on
 * the machine page, exported as Prometheus counters, alertable, and worded with label and device.
 */
import assert from "node:assert/strict";
import { AlertEngine, type AlertNotice } from "../../src/alerts/engine.ts";
import { parseAlertConfig } from "../../src/alerts/rules.ts";
import { FleetState } from "../../src/master/fleet_state.ts";
import { createIngestStats } from "../../src/master/ingest_stats.ts";
import { renderMetrics } from "../../src/master/prometheus.ts";
import { chartSpecs } from "../../src/protocol/charts.ts";
import { describeValue } from "../../src/protocol/describe.ts";
import { flattenSample } from "../../src/protocol/metrics.ts";
import type { Sample } from "../../src/protocol/sample.ts";

function sample(ts: number, errors: number): Sample {
  return {
    ts,
    seq: ts / 1000,
    machineId: "m1",
    hostname: "web-1",
    net: ["eth0", "wlan0"].map((iface) => ({
      iface,
      rxBps: 1000,
      txBps: 500,
      rxPps: 10,
      txPps: 5,
      rxErrors: errors,
      txErrors: 0,
      rxDrops: 2 * errors,
      txDrops: 0,
    })),
  };
}

Deno.test("net errors and drops get their own chart, per interface", () => {
  const keys = new Set(flattenSample(sample(1000, 1)).keys());
  const chart = chartSpecs(keys, false).find((c) => c.id === "neterr");
  assert.ok(chart);
  assert.equal(chart.title, "Network errors and drops");
  assert.equal(chart.unit, "per_second");
  assert.deepEqual(chart.series.map((s) => s.label), [
    "eth0 rx errors",
    "eth0 tx errors",
    "eth0 rx drops",
    "eth0 tx drops",
    "wlan0 rx errors",
    "wlan0 tx errors",
    "wlan0 rx drops",
    "wlan0 tx drops",
  ]);
});

Deno.test("net errors and drops are Prometheus counters", () => {
  const fleet = new FleetState();
  const row = {
    id: "m1",
    name: "web-1",
    hostname: "web-1",
    os: "linux",
    arch: "x86_64",
    cores: 2,
    memTotal: 8e9,
    agentVersion: "0.1.0",
    intervalMs: 1000,
    firstSeen: 1,
    lastSeen: 2,
    lastSeq: 0,
  };
  fleet.load(row, sample(1000, 0), null);
  for (let t = 2; t <= 11; t++) fleet.recordSample("m1", sample(t * 1000, 3), null!, t, t);
  const text = renderMetrics(fleet, createIngestStats(), {
    workerConnections: 0,
    liveClients: 0,
    liveClientsDropped: 0,
  });
  assert.ok(text.includes("# TYPE gridmon_network_receive_errors_total counter\n"));
  assert.ok(
    text.includes(
      'gridmon_network_receive_errors_total{machine="m1",name="web-1",device="eth0"} 30\n',
    ),
  );
  assert.ok(
    text.includes(
      'gridmon_network_receive_drops_total{machine="m1",name="web-1",device="wlan0"} 60\n',
    ),
  );
  assert.ok(
    text.includes(
      'gridmon_network_transmit_drops_total{machine="m1",name="web-1",device="eth0"} 0\n',
    ),
  );
});

Deno.test("an alert rule on net drops fires per interface and says what it is", () => {
  const config = parseAlertConfig(`
rules:
  - name: dropping
    kind: threshold
    metric: "net:*:rxDrops"
    op: ">"
    value: 1
`);
  const notices: AlertNotice[] = [];
  const engine = new AlertEngine({
    rules: config.rules,
    silences: [],
    notify: (n) => notices.push(n),
  });
  engine.observeSample({ id: "m1", name: "web-1" }, flattenSample(sample(1000, 5)), 1000);
  const fired = notices.filter((n) => n.transition === "firing");
  assert.deepEqual(fired.map((n) => n.alert.device).sort(), ["eth0", "wlan0"]);
  assert.equal(describeValue("net:eth0:rxDrops", 10), "Receive drops 10/s on eth0");
});
