/**
 * The exact Deno permissions `gridmon master` runs with.
 *
 * With its local worker (the default) the master reads /proc and /sys, which Deno 2.9.6 only
 * opens with --allow-all (see src/worker/permissions.ts), so that is the only flag that works.
 * With --no-local-worker it needs exactly: read and write in the data directory, the network
 * (it listens on a port chosen at run time), the hostname and network interfaces (for the
 * printed Dashboard address), the GRIDMON_* environment, read access to the --alerts file and to
 * the export's CA and token files, LOG_TOKENS / LOG_STREAM, two debug switches the YAML
 * parser of the rules file looks up, and WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE, which the
 * `ws` WebSocket library reads when it loads. The export thread (a Worker) runs with the same permissions;
 * run from source it loads its modules from src/, which Deno checks like any file read.
 */
import { workerNeedsAllowAll } from "../worker/permissions.ts";

/**
 * V8 flags for the master: a young generation capped at 4 MB per semi-space (V8's default grows
 * to 16 MB). With 1,000 workers this keeps the master under 300 MB RSS (bench/ingest_bench.ts:
 * 340 -> 299 MB peak) for about one point more CPU, and sustained ingest stays near 40,000
 * samples/s. The deno.json master tasks and the compiled binary use them.
 */
export const MASTER_V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** MASTER_V8_FLAGS as one `deno run` / `deno compile` argument. */
export function masterV8FlagsArg(): string {
  return `--v8-flags=${MASTER_V8_FLAGS.join(",")}`;
}

export interface MasterPermissionOptions {
  /** The --data directory: database, tokens, the local worker's generated machine id. */
  dataDir: string;
  /** True unless the master runs with --no-local-worker. */
  localWorker?: boolean;
  /** Deno.build.os unless given. */
  os?: string;
  /** The --alerts rules file, when given. */
  alertsFile?: string;
  /**
   * Set when exporting (--remote-write, --influx-write): the files the export reads (--remote-ca,
   * --remote-bearer-token-file, --influx-token-file).
   */
  exportFiles?: string[];
}

/** The source tree the export thread's modules load from (when not compiled). */
function sourceDir(): string[] {
  const url = new URL("../", import.meta.url);
  return url.protocol === "file:" ? [decodeURIComponent(url.pathname).replace(/\/$/, "")] : [];
}

/** Deno permission flags for `deno run` / `deno compile` of the master. */
export function masterPermissionFlags(options: MasterPermissionOptions): string[] {
  const os = options.os ?? Deno.build.os;
  const localWorker = options.localWorker ?? true;
  if (localWorker && workerNeedsAllowAll({ spoolDir: options.dataDir, os })) return ["--allow-all"];
  const sys = localWorker && os !== "linux"
    ? ["hostname", "osRelease", "cpus", "systemMemoryInfo", "loadavg", "osUptime"]
    : ["hostname"];
  return [
    `--allow-read=${
      [
        options.dataDir,
        ...(options.alertsFile ? [options.alertsFile] : []),
        ...(options.exportFiles ? [...sourceDir(), ...options.exportFiles] : []),
      ].join(",")
    }`,
    `--allow-write=${options.dataDir}`,
    "--allow-net",
    `--allow-sys=${[...sys, "networkInterfaces"].join(",")}`,
    "--allow-env=GRIDMON_*,LOG_TOKENS,LOG_STREAM,WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE",
  ];
}
