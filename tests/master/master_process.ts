/**
 * `gridmon master` as a real subprocess, run from source with exactly `masterPermissionFlags`.
 * Resolves once the master printed its Dashboard line.
 */
import { masterPermissionFlags } from "../../src/master/permissions.ts";
import { startMasterProcess } from "../helpers/master_process.ts";

export interface MasterChild {
  child: Deno.ChildProcess;
  port: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves once the process ended and its output is drained. */
  done: Promise<Deno.CommandStatus>;
}

/** A port that was free a moment ago (the master needs a fixed one to restart on). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Starts `gridmon master --bind 127.0.0.1 --port PORT --data DIR --no-local-worker ...`. */
export async function spawnMasterChild(options: {
  dataDir: string;
  port: number;
  token: string;
  args?: string[];
}): Promise<MasterChild> {
  const { child, output, done } = await startMasterProcess({
    ...options,
    denoFlags: masterPermissionFlags({ dataDir: options.dataDir, localWorker: false }),
    inRepoRoot: true,
    ready: (text) => text.includes("Dashboard: ") || undefined,
  });
  return { child, port: options.port, output, done };
}
