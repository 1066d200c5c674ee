/** `gridmon master`: open the data directory and the store, serve, and stop cleanly on a signal. */
import { untilSignal } from "../cli/signals.ts";
import { DatabaseSync } from "node:sqlite";
import { defaultAlertConfig } from "../alerts/defaults.ts";
import { type AlertConfig, loadAlertConfig } from "../alerts/rules.ts";
import { AlertService } from "../alerts/service.ts";
import { UsageError } from "../cli/errors.ts";
import {
  MASTER_HELP,
  type MasterConfig,
  MIN_UI_TOKEN_LENGTH,
  parseMasterArgs,
} from "../cli/master_args.ts";
import { ensureWritableDir } from "../cli/writable_dir.ts";
import { DEFAULT_NET_EXCLUDE } from "../worker/collectors/network.ts";
import { createSampler } from "../worker/sampler.ts";
import { defaultProcessConfig } from "../cli/process_args.ts";
import { createDetectionService } from "./detection_service.ts";
import { advertisedHost } from "./lan_address.ts";
import { lockDataDir } from "./data_dir_lock.ts";
import { startMaster } from "./server.ts";
import { checkDatabaseFile } from "./store/db_check.ts";
import { openStore } from "./store/sqlite_store.ts";
import { loadOrCreateToken } from "./tokens.ts";
import { fileRevokedSessions } from "./revoked_sessions.ts";
import { SESSION_MAX_AGE_S } from "./ui_auth.ts";
import { registerUiRoutes } from "./ui_routes.ts";
import { Exporter } from "./export/exporter.ts";
import { exportSettings } from "../cli/export_settings.ts";

function log(line: string): void {
  console.error(`${new Date().toISOString()} gridmon master: ${line}`);
}

/** The exact command that adds a machine to this master. */
export function workerCommand(host: string, port: number, joinToken: string): string {
  return `gridmon worker --master ${host}:${port} --token ${joinToken}`;
}

/** Names the flag to fix when the server cannot listen; other errors pass through. */
function listenError(error: unknown, bind: string, port: number): unknown {
  if (error instanceof Deno.errors.AddrInUse) {
    return new UsageError(`--port: ${bind}:${port} is already in use`);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new UsageError(
      `--port: not allowed to listen on port ${port} (ports below 1024 need root)`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Deno.errors.AddrNotAvailable || /lookup address/i.test(message)) {
    const why = error instanceof Deno.errors.AddrNotAvailable
      ? "no network interface of this machine has that address"
      : "not an address or a host name this machine can resolve";
    return new UsageError(`--bind: cannot listen on "${bind}": ${why}`);
  }
  return error;
}

/** Entry point of `gridmon master` (see MASTER_HELP). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const config = parseMasterArgs(argv, env);
  if (config.help) {
    console.log(MASTER_HELP);
    return;
  }
  if (config.token !== undefined && config.token === config.uiToken) {
    throw new UsageError(
      "--ui-token: must differ from the join token (workers must not see the UI)",
    );
  }
  // A bad rules file stops the master before anything starts (the error names line and field).
  const alertConfig = config.alertsFile
    ? await loadAlertConfig(config.alertsFile)
    : defaultAlertConfig();
  const dataDir = config.dataDir.replace(/\/+$/, "") || "/";
  await ensureWritableDir(dataDir, "data");
  const lock = lockDataDir(dataDir);
  try {
    await serve(config, alertConfig, dataDir);
  } finally {
    lock.release();
  }
}

async function serve(
  config: MasterConfig,
  alertConfig: AlertConfig,
  dataDir: string,
): Promise<void> {
  const settings = config.remote.remotes.length > 0
    ? await exportSettings(config.remote, dataDir, Deno.hostname())
    : undefined;
  const joinToken = await loadOrCreateToken(`${dataDir}/token`, config.token);
  const uiToken = await loadOrCreateToken(
    `${dataDir}/ui-token`,
    config.uiToken,
    MIN_UI_TOKEN_LENGTH,
  );
  if (joinToken === uiToken) {
    throw new UsageError(
      "--ui-token: must differ from the join token (workers must not see the UI)",
    );
  }
  // The export thread opens its queues (resuming what a previous run left) before ingest starts.
  const exporter = settings ? await Exporter.start(settings, { log }) : undefined;
  for (const remote of settings?.remotes ?? []) log(`exporting every sample to ${remote.display}`);
  const dbPath = `${dataDir}/gridmon.db`;
  const checked = checkDatabaseFile(dbPath, config.onDamagedDb);
  if (checked.setAsideTo) {
    log(`${dbPath} was damaged: kept as ${checked.setAsideTo}; starting a new database`);
  }
  // Small retention chunks: the retention loop runs them one by one, with ingest in between.
  const store = openStore({
    path: dbPath,
    retention: config.retention,
    retentionMaxRows: 10_000,
  });
  // Alerts keep their history in the same database, through a connection of their own.
  const alertDb = new DatabaseSync(dbPath);
  alertDb.exec("PRAGMA busy_timeout = 5000");
  const host = advertisedHost(config.bind);
  let port = config.port;
  const alerts = new AlertService({
    config: alertConfig,
    source: config.alertsFile ? "file" : "built-in",
    db: alertDb,
    log,
    lastSeen: (machineId) => store.getMachine(machineId)?.lastSeen,
    dashboardUrl: () => `http://${host}:${port}`,
  });
  const sampler = config.localWorker
    ? createSampler({
      processes: {
        ...defaultProcessConfig(config.intervalMs),
        sampleIntervalMs: config.intervalMs,
      },
      procRoot: "/proc",
      sysRoot: "/sys",
      netExclude: new RegExp(DEFAULT_NET_EXCLUDE),
      stateDir: dataDir,
      log: (message) => log(`local worker: ${message}`),
    })
    : undefined;
  let master;
  try {
    master = await startMaster({
      store,
      bind: config.bind,
      allowedHosts: config.allowedHosts,
      port: config.port,
      joinToken,
      uiToken,
      publicUi: config.publicUi,
      revokedSessions: fileRevokedSessions(`${dataDir}/revoked-sessions`, {
        maxAgeMs: SESSION_MAX_AGE_S * 1000,
        now: Date.now(),
      }),
      localSampler: sampler,
      intervalMs: config.intervalMs,
      detection: (opened) => createDetectionService(opened, { log }),
      alerts,
      mountUi: (app, ui) => registerUiRoutes(app, ui),
      exporter,
      joinCommand: () => workerCommand(host, port, joinToken),
      log,
    });
  } catch (error) {
    await exporter?.close();
    alertDb.close();
    store.close();
    throw listenError(error, config.bind, config.port);
  }
  port = master.port;
  const base = `http://${host}:${port}`;
  console.log(`gridmon master listening on ${config.bind}:${port} (data in ${dataDir})`);
  console.log(
    config.publicUi ? `Dashboard: ${base}/` : `Dashboard: ${base}/login#token=${uiToken}`,
  );
  const alertSource = config.alertsFile ?? "built-in rules, no notifiers";
  console.log(`Alerts: ${alertConfig.rules.length} rules (${alertSource})`);
  console.log("Add a machine by running on it:");
  console.log(`  ${workerCommand(host, port, joinToken)}`);
  const signal = await untilSignal();
  log(`${signal}: shutting down`);
  await master.close();
  alertDb.close();
  store.close();
  log("stopped");
}
