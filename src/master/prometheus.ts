/**
 * /metrics: Prometheus text exposition format 0.0.4 of every machine's newest values and of the
 * master's own ingest counters. Every series has a `machine` (id) and `name` label; per-device
 * series add `core`, `device`, `mountpoint` or `sensor`. Names, types, help and labels come
 * from the metric catalogue: gauges are the newest sample's values, counters (`_total`) the
 * totals the master integrates from the sample's rates (counter_totals.ts).
 */
import { ANOMALOUS_METRIC, SCORE_METRIC } from "../protocol/catalogue.ts";
import { COMPILED, deviceList, deviceName, readPath } from "../protocol/metrics.ts";
import type { CounterTotals } from "./counter_totals.ts";
import type { Sample } from "../protocol/sample.ts";
import type { FleetState } from "./fleet_state.ts";
import type { IngestStats } from "./ingest_stats.ts";
import type { ExportStats } from "./export/exporter.ts";

/** Content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

interface Family {
  help: string;
  type: "gauge" | "counter";
  lines: string[];
}

/** Collects samples per metric family so each family is written in one block. */
export class Exposition {
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

/** What /metrics reports about the master itself. */
export interface MasterGauges {
  workerConnections: number;
  liveClients: number;
  /** Live clients closed because they did not keep up. */
  liveClientsDropped: number;
  /** Remote write / InfluxDB export, when configured. */
  export?: ExportStats;
  /** Device entries left out of samples, per family (device_budget.ts). */
  devicesRefused?: ReadonlyMap<string, number>;
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
    out.add(
      "gridmon_machine_samples_skipped_total",
      "counter",
      "Samples of the machine its worker never sent (seq gaps) since the master started",
      base,
      state.loss.skipped,
    );
    if (state.loss.spoolDropped !== null) {
      out.add(
        "gridmon_machine_spool_dropped",
        "gauge",
        "Samples the worker's spool dropped (full) since the worker started, as it reports them",
        base,
        state.loss.spoolDropped,
      );
    }
    if (state.verdict?.score !== null && state.verdict?.score !== undefined) {
      out.add(SCORE_METRIC.prom, "gauge", SCORE_METRIC.help, base, state.verdict.score);
    }
    if (state.verdict) {
      out.add(
        ANOMALOUS_METRIC.prom,
        "gauge",
        ANOMALOUS_METRIC.help,
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
    addSampleGauges(out, base, state.latest);
    addCounters(out, base, state.counters);
  }
  addMasterMetrics(out, stats, gauges);
  if (gauges.export) addExportMetrics(out, gauges.export);
  return out.toString();
}

type Labels = [string, string][];

function finite(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** The catalogue's gauges of the sample. */
function addSampleGauges(out: Exposition, base: Labels, sample: Sample): void {
  for (const { entry, metrics, paths } of COMPILED) {
    const obj = entry.path ? (sample as Record<string, unknown>)[entry.path] : sample;
    if (obj === null || typeof obj !== "object") continue;
    const device = entry.device;
    const items = device ? deviceList(obj, device) ?? [] : [obj];
    items.forEach((item, j) => {
      const labels: Labels = device
        ? [...base, [device.promLabel, deviceName(item, j, device)]]
        : base;
      metrics.forEach((m, i) => {
        const value = readPath(item, paths[i]);
        if (m.kind === "gauge" && finite(value)) out.add(m.prom, "gauge", m.help, labels, value);
      });
    });
  }
}

/** The catalogue's counters, as totals since the master first saw the machine. */
function addCounters(out: Exposition, base: Labels, counters: CounterTotals): void {
  for (const { family, name, totals } of counters.devices()) {
    const labels: Labels = [...base, [family.entry.device!.promLabel, name]];
    family.metrics.forEach((m, i) => {
      if (m.kind !== "counter") return;
      out.add(
        m.prom,
        "counter",
        `${m.help} (since the master first saw the machine)`,
        labels,
        totals[i],
      );
    });
  }
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
    "gridmon_detector_seconds_total",
    "Time spent in the anomaly detector (scoring and refitting)",
    stats.detectorSecondsTotal,
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
  for (const family of ["disks", "filesystems", "net", "temps"]) {
    out.add(
      "gridmon_ingest_devices_refused_total",
      "counter",
      "Device entries left out of samples because their machine has too many of that family",
      [["family", family]],
      gauges.devicesRefused?.get(family) ?? 0,
    );
  }
}

/** Queue depth, deliveries and drops per remote (`remote` is its URL without credentials). */
function addExportMetrics(out: Exposition, stats: ExportStats): void {
  out.add(
    "gridmon_export_rows_pending",
    "gauge",
    "Committed rows not yet taken by the export thread",
    [],
    stats.rowsPending,
  );
  out.add(
    "gridmon_export_rows_dropped_total",
    "counter",
    "Committed rows dropped because the export thread fell too far behind",
    [],
    stats.rowsDropped,
  );
  for (const r of stats.remotes) {
    const labels: Labels = [["remote", r.remote], ["kind", r.kind]];
    const gauge = (name: string, help: string, value: number) =>
      out.add(name, "gauge", help, labels, value);
    gauge("gridmon_remote_queue_batches", "Batches queued on disk for the remote", r.queueBatches);
    gauge("gridmon_remote_queue_bytes", "Bytes queued on disk for the remote", r.queueBytes);
    gauge("gridmon_remote_queue_values", "Values queued on disk for the remote", r.queuePoints);
    out.add(
      "gridmon_remote_values_sent_total",
      "counter",
      "Values the remote accepted",
      labels,
      r.pointsSent,
    );
    out.add(
      "gridmon_remote_bytes_sent_total",
      "counter",
      "Request body bytes the remote accepted (compressed, as on the wire)",
      labels,
      r.bytesSent,
    );
    for (const [reason, value] of Object.entries(r.dropped)) {
      out.add(
        "gridmon_remote_values_dropped_total",
        "counter",
        "Values dropped: queue full (oldest first), refused by the remote (4xx), or disk error",
        [...labels, ["reason", reason]],
        value,
      );
    }
    out.add(
      "gridmon_remote_requests_failed_total",
      "counter",
      "Requests that failed and will be retried (5xx, 429, network errors)",
      labels,
      r.requestsFailed,
    );
    gauge(
      "gridmon_remote_last_success_timestamp_seconds",
      "When the remote last accepted a request (0: never)",
      r.lastSuccess / 1000,
    );
  }
}
