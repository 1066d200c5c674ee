/**
 * Wires the master together around an open store: fleet state, ingest hub and flush loop, live
 * feed, detection, local worker, retention, and the HTTP server. `startMaster` is what `main`
 * and the tests call.
 */
import type { AlertService } from "../alerts/service.ts";
import { CLOSE } from "../protocol/messages.ts";
import type { Sampler } from "../worker/sampler_types.ts";
import { createApp, type MountUi } from "./app.ts";
import {
  createNullDetection,
  type DetectionFactory,
  type DetectionPort,
} from "./detection_port.ts";
import { startEventLoopLag } from "./event_loop_lag.ts";
import { FleetState, type MachineState } from "./fleet_state.ts";
import { listenHttp, type RunningHttpServer } from "./http_server.ts";
import type { HandshakeGateOptions } from "./handshake_gate.ts";
import { IngestHub } from "./ingest_hub.ts";
import { createIngestStats, type IngestStats } from "./ingest_stats.ts";
import { LiveFeed } from "./live_feed.ts";
import { MachineAdmin } from "./machine_admin.ts";
import { type LocalWorker, startLocalWorker } from "./local_worker.ts";
import { startRetentionLoop } from "./retention_loop.ts";
import type { AnomalyEvent, Store } from "./store/store_types.ts";
import type { RevokedSessions } from "./revoked_sessions.ts";
import { createUiAuth } from "./ui_auth.ts";
import type { Exporter } from "./export/exporter.ts";
import { nameEventProcesses } from "./event_processes.ts";

export interface MasterOptions {
  store: Store;
  /** Address and port to listen on (port 0: any free port). */
  bind: string;
  port: number;
  /** Extra names the Host header may carry besides the machine's own (--allowed-host). */
  allowedHosts?: readonly string[];
  joinToken: string;
  /** Access token for the UI and API. */
  uiToken: string;
  publicUi: boolean;
  /** Where logouts are remembered, so they outlive a restart (default: in memory). */
  revokedSessions?: RevokedSessions;
  /** Sampler for the master's own host; no local worker when absent. */
  localSampler?: Sampler;
  intervalMs?: number;
  detection?: DetectionFactory;
  /** Alert rules and delivery; fed committed samples, status changes and anomaly events. */
  alerts?: AlertService;
  mountUi?: MountUi;
  /** The `gridmon worker ...` command for the UI's empty-fleet page. */
  joinCommand?: () => string;
  log?: (line: string) => void;
  now?: () => number;
  handshakeTimeoutMs?: number;
  /** Admission of worker connections waiting for their hello (see handshake_gate.ts). */
  handshakes?: HandshakeGateOptions;
  flushEveryMs?: number;
  /** Rows that trigger an immediate flush (default 2000). */
  flushRows?: number;
  tickMs?: number;
  retentionEveryMs?: number;
  /** Remote write / InfluxDB export: gets every committed row and anomaly event. */
  exporter?: Exporter;
}

/** A running master. */
export interface RunningMaster {
  /** The port actually listened on. */
  port: number;
  hostname: string;
  fleet: FleetState;
  hub: IngestHub;
  stats: IngestStats;
  live: LiveFeed;
  /** Flushes, closes every connection with 1001, stops the server (the caller closes the store). */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

function defaultLog(line: string): void {
  console.error(`${new Date().toISOString()} gridmon master: ${line}`);
}

function loadFleet(store: Store, fleet: FleetState, now: number): Map<number, string> {
  const latest = store.latestSamples();
  for (const row of store.listMachines()) {
    if (row.removedAt !== undefined) continue; // removed by a person: back when it connects
    const last = latest.get(row.id);
    fleet.load(row, last?.sample ?? null, last?.verdict ?? null);
  }
  const open = new Map<number, string>();
  for (const event of store.listAnomalies({ from: 0, to: now, limit: 10_000 })) {
    if (event.end === null) open.set(event.id, event.machineId);
  }
  return open;
}

function countAlerts(open: Map<number, string>, machineId: string): number {
  let n = 0;
  for (const id of open.values()) if (id === machineId) n++;
  return n;
}

/** Feeds the alert service from the fleet, the hub and the detector; keeps the badges current. */
function wireAlerts(
  alerts: AlertService,
  parts: {
    fleet: FleetState;
    hub: IngestHub;
    detection: DetectionPort;
    live: LiveFeed;
    now: () => number;
  },
): () => void {
  const { fleet, hub, detection, live, now } = parts;
  const machineOf = (id: string) => ({ id, name: fleet.get(id)?.row.name ?? id });
  // Expected-offline marks as the engine knows them: told only when one is set or lifted.
  const marked = new Set<string>();
  const syncMark = (state: MachineState) => {
    const id = state.row.id;
    const expected = state.row.expectedOffline !== undefined;
    if (expected === marked.has(id)) return;
    if (expected) marked.add(id);
    else marked.delete(id);
    alerts.setExpectedOffline(id, expected);
  };
  for (const state of fleet.all()) syncMark(state);
  // Alerts still open from an earlier run for machines removed since then end as removed.
  for (const alert of alerts.active()) {
    if (!fleet.get(alert.machineId)) alerts.forgetMachine(alert.machineId);
  }
  // Machines known from an earlier run are offline until they reconnect.
  for (const state of fleet.all()) {
    if (!state.online) alerts.onStatus(machineOf(state.row.id), false, now());
  }
  const stops = [
    hub.onCommitted((rows) => {
      for (const row of rows) alerts.onSample(machineOf(row.machineId), row.sample);
    }),
    fleet.onChange((state) => {
      syncMark(state);
      alerts.onStatus(machineOf(state.row.id), state.online, now());
    }),
    fleet.onRemoved((id) => {
      marked.delete(id);
      alerts.forgetMachine(id);
    }),
    detection.onEvent((event) => alerts.onAnomaly(machineOf(event.machineId), event, now())),
  ];
  stops.push(alerts.onChange((notice) => {
    fleet.setAlerts(
      notice.alert.machineId,
      alerts.activeByMachine().get(notice.alert.machineId) ?? 0,
    );
    live.alert(notice);
  }));
  for (const [machineId, count] of alerts.activeByMachine()) fleet.setAlerts(machineId, count);
  alerts.start();
  return () => {
    for (const stop of stops) stop();
    alerts.stop();
  };
}

/** Hands committed rows and anomaly events to the exporter, if there is one. */
function wireExport(
  exporter: Exporter | undefined,
  parts: { fleet: FleetState; hub: IngestHub; detection: DetectionPort },
): () => void {
  if (!exporter) return () => {};
  const { fleet, hub, detection } = parts;
  const nameOf = (id: string) => fleet.get(id)?.row.name ?? id;
  const stops = [
    hub.onCommitted((rows) => exporter.committed(rows, nameOf)),
    detection.onEvent((event) => exporter.anomaly(event, nameOf(event.machineId))),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Starts the master; resolves once it listens. */
export async function startMaster(options: MasterOptions): Promise<RunningMaster> {
  const { store } = options;
  const log = options.log ?? defaultLog;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const stats = createIngestStats();
  const lag = startEventLoopLag();
  const fleet = new FleetState();
  // The detection comes first: it may close events a previous run left open.
  const detection = nameEventProcesses(
    (options.detection ?? (() => createNullDetection()))(store),
    store,
    now,
  );
  const openEvents = loadFleet(store, fleet, startedAt);
  for (const machineId of new Set(openEvents.values())) {
    fleet.setAlerts(machineId, countAlerts(openEvents, machineId));
  }
  const hub = new IngestHub({
    store,
    detection,
    fleet,
    stats,
    log,
    now,
    flushRows: options.flushRows,
  });
  const live = new LiveFeed({ fleet, publicUi: options.publicUi, now, tickMs: options.tickMs });
  hub.onCommitted((rows) => live.committed(rows));
  const stopExport = wireExport(options.exporter, { fleet, hub, detection });
  const stopEvents = detection.onEvent((event: AnomalyEvent) => {
    if (event.end === null) openEvents.set(event.id, event.machineId);
    else openEvents.delete(event.id);
    // With alerts on, the badge counts firing alerts (set by wireAlerts) instead.
    if (!options.alerts) fleet.setAlerts(event.machineId, countAlerts(openEvents, event.machineId));
    live.anomaly(event);
  });
  const stopOffline = fleet.onChange((state) => {
    if (!state.online) detection.machineOffline(state.row.id);
  });
  const stopAlerts = options.alerts
    ? wireAlerts(options.alerts, { fleet, hub, detection, live, now })
    : () => {};
  let local: LocalWorker | undefined;
  const admin = new MachineAdmin({
    store,
    fleet,
    hub,
    alerts: options.alerts,
    log,
    now,
    localMachineId: () => local?.machineId,
  });
  const auth = createUiAuth({
    accessToken: options.uiToken,
    publicUi: options.publicUi,
    now,
    revoked: options.revokedSessions,
  });
  const app = createApp({
    store,
    fleet,
    hub,
    live,
    auth,
    stats,
    exportStats: options.exporter ? () => options.exporter!.stats() : undefined,
    joinToken: options.joinToken,
    log,
    now,
    startedAt,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    handshakes: options.handshakes,
    mountUi: options.mountUi,
    joinCommand: options.joinCommand,
    alerts: options.alerts,
    eventLoopLag: () => lag.summary(),
    admin,
    bind: options.bind,
    allowedHosts: options.allowedHosts,
  });

  const flushTimer = setInterval(() => hub.flush(), options.flushEveryMs ?? 50);
  const sweepTimer = setInterval(() => {
    fleet.sweep(now());
    admin.expire(now());
  }, 1000);
  const stopRetention = startRetentionLoop({
    store,
    stats,
    log,
    everyMs: options.retentionEveryMs,
    now,
  });
  live.start();

  let server: RunningHttpServer;
  let closing: Promise<void> | undefined;
  const stopTimers = () => {
    clearInterval(flushTimer);
    clearInterval(sweepTimer);
    stopRetention();
    lag.stop();
  };

  async function close(): Promise<void> {
    admin.stop();
    await local?.stop();
    stopTimers();
    hub.flush();
    hub.closeAll(CLOSE.goingAway, "master shutting down");
    live.close(CLOSE.goingAway, "master shutting down");
    stopEvents();
    stopOffline();
    stopAlerts();
    stopExport();
    await options.exporter?.close();
    detection.close();
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      server.shutdown(),
      new Promise((r) => (timeout = setTimeout(r, 3000))),
    ]);
    clearTimeout(timeout);
  }

  try {
    server = await listenHttp({
      hostname: options.bind,
      port: options.port,
      fetch: app.fetch,
      onError: (error) => {
        log(`request failed: ${String(error)}`);
        return new Response(JSON.stringify({ error: "internal error" }), { status: 500 });
      },
    });
  } catch (error) {
    stopTimers();
    live.close(CLOSE.goingAway, "master did not start");
    stopExport();
    stopEvents();
    stopOffline();
    stopAlerts();
    detection.close();
    throw error;
  }
  if (options.localSampler) {
    local = startLocalWorker({
      sampler: options.localSampler,
      hub,
      intervalMs: options.intervalMs ?? 1000,
      log,
      now,
    });
  }
  admin.resumePurges().catch((error) => log(`deleting a removed machine's data: ${error}`));
  return {
    port: server.port,
    hostname: server.hostname,
    fleet,
    hub,
    stats,
    live,
    close: () => (closing ??= close()),
    finished: server.finished,
  };
}
