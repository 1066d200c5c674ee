/**
 * Shared steps of the export tests: a real master (subprocess) exporting to a database, a
 * simulated fleet streaming to it, and the master's own count of stored samples per machine.
 */
import { DatabaseSync } from "node:sqlite";
import { parseSimulateArgs } from "../../src/cli/simulate_args.ts";
import { runSimulation } from "../../src/simulate/main.ts";
import { parseMasterArgs } from "../../src/cli/master_args.ts";
import { exportFiles } from "../../src/cli/remote_args.ts";
import { masterPermissionFlags, masterV8FlagsArg } from "../../src/master/permissions.ts";
import { startMasterProcess } from "../helpers/master_process.ts";
import type { MasterProcess } from "../simulate/master_process.ts";
import { promQuery } from "./db_servers.ts";

export const TOKEN = "export-test-token";

/**
 * Starts a master exporting with `args`, under the exact permissions of `gridmon master
 * --no-local-worker` with those flags (so the export thread is shown to need no more).
 */
export async function startExportingMaster(
  args: string[],
  dataDir?: string,
): Promise<MasterProcess & { cleanup(): Promise<void> }> {
  dataDir ??= await Deno.makeTempDir({ prefix: "gridmon-export-" });
  const flags = ["--public-ui", ...args];
  const config = parseMasterArgs(flags, {});
  const { child, ready: port, output, done } = await startMasterProcess({
    denoFlags: [
      masterV8FlagsArg(),
      ...masterPermissionFlags({
        dataDir,
        localWorker: false,
        exportFiles: exportFiles(config.remote),
      }),
    ],
    port: 0,
    dataDir,
    token: TOKEN,
    args: flags,
    ready: (text) => {
      const match = /Dashboard: https?:\/\/\S+?:(\d+)\//.exec(text);
      return match ? Number(match[1]) : undefined;
    },
  });
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await done;
  };
  return {
    pid: child.pid,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws/worker`,
    dataDir,
    output,
    stop,
    async cleanup() {
      await stop();
      await Deno.remove(dataDir!, { recursive: true }).catch(() => {});
    },
  };
}

export interface SimulationOptions {
  workers: number;
  /** Simulated span, ending now; "--speed max" back-fills it as fast as acks come. */
  seconds: number;
  /** Live: one sample per second in real time instead of back-filling. */
  live?: boolean;
  prefix?: string;
  seed?: string;
  /** Back-fill this many seconds, then stream live for the rest of `seconds`. */
  backfillSeconds?: number;
  /** `--faults` spec. */
  faults?: string;
}

/** Streams a simulated fleet to the master; resolves with the samples acknowledged. */
export async function simulate(master: MasterProcess, options: SimulationOptions) {
  const now = Date.now();
  const back = options.backfillSeconds ?? (options.live ? 0 : options.seconds);
  const start = now - back * 1000;
  const config = parseSimulateArgs(
    [
      "--master",
      master.wsUrl,
      "--token",
      TOKEN,
      "--workers",
      String(options.workers),
      "--start",
      String(start),
      "--duration",
      `${options.seconds}s`,
      "--speed",
      options.live ? "1" : "max",
      ...(options.faults ? ["--faults", options.faults] : []),
      "--seed",
      options.seed ?? "export",
      "--name-prefix",
      options.prefix ?? "sim",
    ],
    {},
    now,
  );
  return await runSimulation(config, { log: () => {}, progressMs: 0 });
}

/** Samples the master stored per machine id (read from its database; stop the master first). */
export function storedCounts(dataDir: string): Map<string, number> {
  const db = new DatabaseSync(`${dataDir}/gridmon.db`, { readOnly: true });
  try {
    const rows = db.prepare(
      "SELECT m.id AS id, count(*) AS n FROM raw r JOIN machines m ON m.idx = r.machine GROUP BY m.id",
    ).all() as { id: string; n: number }[];
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  } finally {
    db.close();
  }
}

/** `sum by (machine) (count_over_time(NAME[window]))` as a map, queried at `time`. */
export async function promCounts(
  baseUrl: string,
  name: string,
  time: number,
  extra = "",
): Promise<Map<string, number>> {
  const result = await promQuery(
    baseUrl,
    `sum by (machine) (count_over_time(${name}{machine!=""${extra}}[2h]))`,
    time,
  );
  return new Map(result.map((r) => [r.metric.machine, Number(r.value[1])]));
}

/** Polls `read` until its total reaches `total` (or 60 s pass); returns the last reading. */
export async function waitForTotal(
  read: () => Promise<Map<string, number>>,
  total: number,
): Promise<Map<string, number>> {
  const until = Date.now() + 60_000;
  let last = new Map<string, number>();
  while (Date.now() < until) {
    last = await read().catch(() => last);
    const sum = [...last.values()].reduce((a, b) => a + b, 0);
    if (sum >= total) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** The master's /metrics text. */
export async function masterMetrics(master: MasterProcess): Promise<string> {
  const response = await fetch(`${master.httpUrl}/metrics`);
  return await response.text();
}
