import assert from "node:assert/strict";
import { FleetState } from "../../src/master/fleet_state.ts";
import { createIngestStats } from "../../src/master/ingest_stats.ts";
import {
  escapeLabelValue,
  PROMETHEUS_CONTENT_TYPE,
  renderMetrics,
} from "../../src/master/prometheus.ts";
import type { MachineRow } from "../../src/master/store/store_types.ts";
import type { MemoryStore } from "./memory_store.ts";
import { connectWorker, makeSample, startTestMaster, UI_TOKEN } from "./test_master.ts";
import { promtool } from "../helpers/promtool.ts";

const HOSTILE = 'we"ird\\name\nwith} {newline=",';

function machineRow(id: string, name: string): MachineRow {
  return {
    id,
    name,
    hostname: name,
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
}

function hostileFleet(): FleetState {
  const fleet = new FleetState();
  const sample = {
    ...makeSample(HOSTILE, 0),
    disks: [
      { name: HOSTILE, readBps: 1, writeBps: 2, readIops: null, writeIops: 0, utilPct: 3 },
      { name: "vda", readBps: 1, writeBps: 2, readIops: 3, writeIops: 4, utilPct: 5 },
    ],
    filesystems: [{ mount: `/mnt/${HOSTILE}`, fstype: "ext4", size: 10, used: 5, usedPct: 50 }],
    net: [{
      iface: "eth0:1",
      rxBps: 1,
      txBps: 2,
      rxPps: 3,
      txPps: 4,
      rxErrors: 0,
      txErrors: 0,
    }],
    temps: [{ sensor: "coretemp", label: "Core 0", celsius: 45 }],
  };
  const verdict = { score: 0.42, anomalous: false, reason: null };
  fleet.load(machineRow(HOSTILE, HOSTILE), sample, verdict);
  // Two seconds later, the same rates: each counter grows by twice its rate.
  fleet.recordSample(HOSTILE, { ...sample, ts: sample.ts + 2000, seq: 1 }, verdict, 3, 1);
  fleet.load(machineRow("quiet", "quiet"), null, null);
  return fleet;
}

Deno.test("escapeLabelValue() escapes backslash, double quote and newline", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

Deno.test("/metrics text with hostile names passes promtool check metrics", async () => {
  const text = renderMetrics(hostileFleet(), createIngestStats(), {
    workerConnections: 1,
    liveClients: 0,
    liveClientsDropped: 0,
  });
  const { code, output } = await promtool(text);
  assert.equal(code, 0, `promtool said:\n${output}\n--- for ---\n${text}`);
  const label = escapeLabelValue(HOSTILE);
  assert.ok(text.includes(`gridmon_machine_up{machine="${label}",name="${label}"} 0`));
  assert.ok(text.includes(`gridmon_anomaly_score{machine="${label}",name="${label}"} 0.42`));
  const disk = `machine="${label}",name="${label}",device="${label}"`;
  assert.ok(text.includes("# TYPE gridmon_disk_read_bytes_total counter\n"));
  assert.ok(text.includes(`gridmon_disk_read_bytes_total{${disk}} 2\n`));
  assert.ok(text.includes(`gridmon_disk_written_bytes_total{${disk}} 4\n`));
  assert.ok(text.includes(`gridmon_disk_reads_total{${disk}} 0\n`), "null rates add nothing");
  assert.ok(text.includes(`gridmon_disk_busy_percent{${disk}} 3\n`));
  assert.ok(text.includes(`mountpoint="/mnt/${label}"`));
  assert.ok(text.includes('gridmon_network_transmit_packets_total{machine="we\\"ird'));
  assert.ok(text.includes('device="eth0:1"} 8\n'));
  assert.ok(!text.includes("_per_second"), "rates are exported as counters, not gauges");
  assert.ok(text.includes('gridmon_machine_up{machine="quiet",name="quiet"} 0'));
});

Deno.test("/metrics needs auth and serves the documented families over HTTP", async () => {
  const t = await startTestMaster<MemoryStore>();
  try {
    const { socket } = await connectWorker(t.ws, "m1", { hostname: HOSTILE });
    const now = Date.now();
    socket.send({ type: "samples", v: 1, samples: [makeSample("m1", 0, now - 1000)] });
    await socket.next();
    // The spool dropped seqs 1..3: the worker says so, the master sees the gap.
    socket.send({ type: "samples", v: 1, dropped: 3, samples: [makeSample("m1", 4, now)] });
    await socket.next();
    const denied = await fetch(`${t.http}/metrics`);
    await denied.body?.cancel();
    assert.equal(denied.status, 401);
    const response = await fetch(`${t.http}/metrics`, {
      headers: { Authorization: `Bearer ${UI_TOKEN}` },
    });
    assert.equal(response.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
    const text = await response.text();
    for (
      const family of [
        "gridmon_machine_up",
        "gridmon_cpu_usage_percent",
        "gridmon_memory_used_percent",
        "gridmon_cpu_core_usage_percent",
        "gridmon_disk_written_bytes_total",
        "gridmon_network_receive_bytes_total",
        "gridmon_filesystem_used_percent",
        "gridmon_load1",
        "gridmon_swap_used_bytes",
        "gridmon_uptime_seconds",
        "gridmon_ingest_samples_total",
        "gridmon_ingest_flushes_total",
      ]
    ) {
      assert.ok(text.includes(`# TYPE ${family} `), `missing ${family}`);
    }
    assert.ok(text.includes("gridmon_ingest_samples_total 2\n"));
    assert.match(
      text,
      /\ngridmon_network_receive_bytes_total\{machine="m1",[^\n]*,device="eth0"\} 1000\n/,
    );
    assert.ok(text.includes('gridmon_machine_up{machine="m1",name="we\\"ird'));
    assert.match(text, /\ngridmon_machine_samples_skipped_total\{machine="m1",[^\n]*\} 3\n/);
    assert.match(text, /\ngridmon_machine_spool_dropped\{machine="m1",[^\n]*\} 3\n/);
    const machine = await (await fetch(`${t.http}/api/machines/m1`, {
      headers: { Authorization: `Bearer ${UI_TOKEN}` },
    })).json();
    assert.deepEqual([machine.loss.skipped, machine.loss.lastGap.from, machine.loss.lastGap.to], [
      3,
      1,
      3,
    ]);
    assert.equal(machine.loss.spoolDropped, 3);
    const { code, output } = await promtool(text);
    assert.equal(code, 0, output);
    await socket.close();
  } finally {
    await t.close();
  }
});
