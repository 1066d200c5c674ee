/**
 * /metrics: Prometheus text exposition format 0.0.4 of every machine's newest values and of the
 * master's own ingest counters. Every series has a `machine` (id) and `name` label; per-device
 * series add `core`, `device`, `mountpoint` or `sensor`.
 */
import {
  DEVICE_METRICS,
  flattenSample,
  type MetricUnit,
  parseDeviceKey,
  SCALAR_METRICS,
} from "../protocol/metrics.ts";
import type { FleetState } from "./fleet_state.ts";
import type { IngestStats } from "./ingest_stats.ts";

/** Content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

const UNIT_SUFFIX: Record<MetricUnit, string> = {
  percent: "_percent",
  bytes: "_bytes",
  bytes_per_second: "_bytes_per_second",
  per_second: "_per_second",
  seconds: "_seconds",
  count: "",
  ratio: "_ratio",
  celsius: "_celsius",
  load: "",
};

/** Scalar metric keys whose Prometheus names read better than the derived ones. */
const SCALAR_NAMES: Record<string, string> = {
  "mem.total": "gridmon_memory_total_bytes",
  "mem.used": "gridmon_memory_used_bytes",
  "mem.available": "gridmon_memory_available_bytes",
  "mem.cached": "gridmon_memory_cached_bytes",
  "mem.buffers": "gridmon_memory_buffers_bytes",
  "mem.usedPct": "gridmon_memory_used_percent",
  "mem.swapTotal": "gridmon_swap_total_bytes",
  "mem.swapUsed": "gridmon_swap_used_bytes",
  "load.1": "gridmon_load1",
  "load.5": "gridmon_load5",
  "load.15": "gridmon_load15",
  "procs": "gridmon_processes",
  "procsRunning": "gridmon_processes_running",
};

/** Per-device fields: Prometheus name and device label. */
const DEVICE_NAMES: Record<string, { label: string; names: Record<string, string> }> = {
  core: { label: "core", names: { usage: "gridmon_cpu_core_usage_percent" } },
  disk: {
    label: "device",
    names: {
      readBps: "gridmon_disk_read_bytes_per_second",
      writeBps: "gridmon_disk_write_bytes_per_second",
      readIops: "gridmon_disk_reads_per_second",
      writeIops: "gridmon_disk_writes_per_second",
      utilPct: "gridmon_disk_busy_percent",
    },
  },
  net: {
    label: "device",
    names: {
      rxBps: "gridmon_network_receive_bytes_per_second",
      txBps: "gridmon_network_transmit_bytes_per_second",
      rxPps: "gridmon_network_receive_packets_per_second",
      txPps: "gridmon_network_transmit_packets_per_second",
      rxErrors: "gridmon_network_receive_errors_per_second",
      txErrors: "gridmon_network_transmit_errors_per_second",
      rxDrops: "gridmon_network_receive_drops_per_second",
      txDrops: "gridmon_network_transmit_drops_per_second",
    },
  },
  fs: {
    label: "mountpoint",
    names: {
      size: "gridmon_filesystem_size_bytes",
      used: "gridmon_filesystem_used_bytes",
      usedPct: "gridmon_filesystem_used_percent",
    },
  },
  temp: { label: "sensor", names: { celsius: "gridmon_temperature_celsius" } },
};

function snake(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^a-zA-Z0-9_]/g, "_").toLowerCase();
}

/** The Prometheus name of a scalar metric key. */
export function scalarMetricName(key: string, unit: MetricUnit): string {
  return SCALAR_NAMES[key] ?? `gridmon_${snake(key)}${UNIT_SUFFIX[unit]}`;
}

interface Family {
  help: string;
  type: "gauge" | "counter";
  lines: string[];
}

/** Collects samples per metric family so each family is written in one block. */
class Exposition {
  readonly #families = new Map<string, Family>();

  add(
    name: string,
    type: "gauge" | "counter",
    help: string,
    labels: [string, string][],
    value: number,
  ): void {
    let family = this.#families.get(name);
    if (!family) {
      family = { help, type, lines: [] };
      this.#families.set(name, family);
    }
    const text = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
    family.lines.push(`${name}${text ? `{${text}}` : ""} ${formatValue(value)}`);
  }

  toString(): string {
    const out: string[] = [];
    for (const [name, family] of this.#families) {
      out.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
      for (const line of family.lines) out.push(line);
    }
    return out.join("\n") + "\n";
  }
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

const SCALAR_INFO = new Map(SCALAR_METRICS.map((m) => [m.key, m]));

/** What /metrics reports about the master itself. */
export interface MasterGauges {
  workerConnections: number;
  liveClients: number;
  /** Live clients closed because they did not keep up. */
  liveClientsDropped: number;
}

/** Renders the whole exposition. */
export function renderMetrics(
  fleet: FleetState,
  stats: IngestStats,
  gauges: MasterGauges,
): string {
  const out = new Exposition();
  for (const state of fleet.all()) {
    const { row } = state;
    const base: [string, string][] = [["machine", row.id], ["name", row.name]];
    out.add(
      "gridmon_machine_up",
      "gauge",
      "1 when the machine reports, 0 when it is offline",
      base,
      state.online ? 1 : 0,
    );
    out.add(
      "gridmon_machine_info",
      "gauge",
      "Machine facts as labels; always 1",
      [
        ...base,
        ["hostname", row.hostname],
        ["os", row.os],
        ["arch", row.arch],
        ["agent_version", row.agentVersion],
      ],
      1,
    );
    out.add(
      "gridmon_machine_last_seen_timestamp_seconds",
      "gauge",
      "When the master last received a sample of the machine",
      base,
      row.lastSeen / 1000,
    );
    out.add(
      "gridmon_machine_alerts_firing",
      "gauge",
      "Alerts of the machine that are firing (open anomaly events when alerts are off)",
      base,
      state.alerts,
    );
    if (state.verdict?.score !== null && state.verdict?.score !== undefined) {
      out.add(
        "gridmon_anomaly_score",
        "gauge",
        "Anomaly score of the newest sample, 0..1 (higher is stranger)",
        base,
        state.verdict.score,
      );
    }
    if (state.verdict) {
      out.add(
        "gridmon_anomalous",
        "gauge",
        "1 when the newest sample was judged anomalous",
        base,
        state.verdict.anomalous ? 1 : 0,
      );
    }
    if (!state.latest) continue;
    out.add(
      "gridmon_sample_timestamp_seconds",
      "gauge",
      "Worker timestamp of the newest sample",
      base,
      state.latest.ts / 1000,
    );
    for (const [key, value] of flattenSample(state.latest)) {
      const device = parseDeviceKey(key);
      if (!device) {
        const info = SCALAR_INFO.get(key);
        if (!info) continue;
        out.add(scalarMetricName(key, info.unit), "gauge", info.help, base, value);
        continue;
      }
      const family = DEVICE_NAMES[device.family];
      const name = family?.names[device.field];
      const info = DEVICE_METRICS[device.family]?.find((f) => f.key === device.field);
      if (!family || !name || !info) continue;
      out.add(name, "gauge", info.help, [...base, [family.label, device.name]], value);
    }
  }
  addMasterMetrics(out, stats, gauges);
  return out.toString();
}

function addMasterMetrics(out: Exposition, stats: IngestStats, gauges: MasterGauges): void {
  const counter = (name: string, help: string, value: number) =>
    out.add(name, "counter", help, [], value);
  counter(
    "gridmon_ingest_connections_accepted_total",
    "Worker connections accepted after a valid hello",
    stats.connectionsAccepted,
  );
  const refused = Object.entries(stats.connectionsRefused);
  if (refused.length === 0) refused.push(["unauthorized", 0]);
  for (const [reason, count] of refused) {
    out.add(
      "gridmon_ingest_connections_closed_total",
      "counter",
      "Worker connections the master closed or refused, by reason",
      [["reason", reason]],
      count,
    );
  }
  counter("gridmon_ingest_frames_total", "Frames received from workers", stats.framesReceived);
  counter("gridmon_ingest_samples_total", "Valid samples received", stats.samplesReceived);
  counter(
    "gridmon_ingest_samples_written_total",
    "Samples handed to the store (duplicates are skipped there)",
    stats.samplesWritten,
  );
  counter(
    "gridmon_ingest_samples_clock_skewed_total",
    "Samples whose worker timestamp was clamped to the receive time",
    stats.samplesClockSkewed,
  );
  counter("gridmon_ingest_flushes_total", "Store transactions written", stats.flushes);
  counter("gridmon_ingest_flush_errors_total", "Store transactions that failed", stats.flushErrors);
  counter(
    "gridmon_ingest_flush_seconds_total",
    "Time spent writing store transactions",
    stats.flushSecondsTotal,
  );
  counter(
    "gridmon_retention_deleted_rows_total",
    "Rows deleted by retention",
    stats.retentionRowsDeleted,
  );
  out.add(
    "gridmon_ingest_queued_rows",
    "gauge",
    "Rows waiting for the next flush",
    [],
    stats.queuedRows,
  );
  out.add(
    "gridmon_ingest_worker_connections",
    "gauge",
    "Live sample sources (worker connections and the local worker)",
    [],
    gauges.workerConnections,
  );
  out.add(
    "gridmon_live_clients",
    "gauge",
    "Connected live-feed UI clients",
    [],
    gauges.liveClients,
  );
  const memory = Deno.memoryUsage();
  out.add(
    "gridmon_master_resident_memory_bytes",
    "gauge",
    "Resident memory of the master",
    [],
    memory.rss,
  );
  out.add("gridmon_master_heap_used_bytes", "gauge", "JavaScript heap in use", [], memory.heapUsed);
  out.add(
    "gridmon_master_external_memory_bytes",
    "gauge",
    "Memory held outside the JavaScript heap by JavaScript objects (buffers)",
    [],
    memory.external,
  );
  counter(
    "gridmon_live_clients_dropped_total",
    "Live-feed clients closed because they did not keep up",
    gauges.liveClientsDropped,
  );
}
