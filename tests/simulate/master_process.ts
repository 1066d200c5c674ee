/**
 * Runs the real `gridmon master` as a subprocess on a free port (`--port 0`), learns its port
 * from the `Dashboard:` line, and keeps draining its output. For end-to-end tests and benchmarks.
 */
import { startMasterProcess } from "../helpers/master_process.ts";

export interface MasterProcess {
  pid: number;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** ws://127.0.0.1:PORT/ws/worker */
  wsUrl: string;
  dataDir: string;
  /** The UI/API access token from the Dashboard line (use as `Authorization: Bearer`). */
  accessToken?: string;
  /** Everything the master printed so far. */
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export interface SpawnMasterOptions {
  token: string;
  dataDir: string;
  /** More flags (e.g. --public-ui). */
  args?: string[];
  /** Flags for `deno run` itself (e.g. --cpu-prof). */
  denoFlags?: string[];
  /** How long to wait for the Dashboard line (default 30 s). */
  timeoutMs?: number;
  /** Run the master's local worker too (default: no). */
  localWorker?: boolean;
}

/** Starts a master (with `--no-local-worker` unless asked) and resolves once it listens. */
export async function spawnMaster(options: SpawnMasterOptions): Promise<MasterProcess> {
  const { child, ready: port, output, done } = await startMasterProcess({
    ...options,
    denoFlags: ["--allow-all", ...(options.denoFlags ?? [])],
    port: 0,
    ready: (text) => {
      const match = /Dashboard: https?:\/\/\S+?:(\d+)\//.exec(text);
      return match ? Number(match[1]) : undefined;
    },
  });
  return {
    pid: child.pid,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws/worker`,
    dataDir: options.dataDir,
    accessToken: /Dashboard: \S*#token=([\w-]+)/.exec(output())?.[1],
    output,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await done;
    },
  };
}
