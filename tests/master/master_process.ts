/**
 * `gridmon master` as a real subprocess, run from source with exactly `masterPermissionFlags`.
 * Resolves once the master printed its Dashboard line.
 */
import { join } from "node:path";
import { masterPermissionFlags } from "../../src/master/permissions.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

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
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...masterPermissionFlags({ dataDir: options.dataDir, localWorker: false }),
      join(REPO_ROOT, "main.ts"),
      "master",
      "--bind",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--data",
      options.dataDir,
      "--token",
      options.token,
      "--no-local-worker",
      ...(options.args ?? []),
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  let listening: (value: void) => void = () => {};
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("Dashboard: ")) listening();
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const done = Promise.all([child.status, drained]).then(([status]) => status);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ready,
      done.then((s) => {
        throw new Error(`master exited with ${s.code} before listening:\n${text}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`master did not start:\n${text}`)), 30_000);
      }),
    ]);
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await done;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { child, port: options.port, output: () => text, done };
}
