/**
 * Runs the real `gridmon master` as a subprocess on a free port (`--port 0`), learns its port
 * from the `Dashboard:` line, and keeps draining its output. For end-to-end tests and benchmarks.
 */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

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
}

/** Starts a master with `--no-local-worker` and resolves once it listens. */
export async function spawnMaster(options: SpawnMasterOptions): Promise<MasterProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      ...(options.denoFlags ?? []),
      MAIN,
      "master",
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
      "--data",
      options.dataDir,
      "--token",
      options.token,
      "--no-local-worker",
      ...(options.args ?? []),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  let announce: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (announce = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const match = /Dashboard: https?:\/\/\S+?:(\d+)\//.exec(text);
      if (match) announce(Number(match[1]));
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    listening,
    child.status.then((s) => {
      throw new Error(`master exited with ${s.code} before listening:\n${text}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`master did not print a Dashboard line:\n${text}`)),
        options.timeoutMs ?? 30_000,
      );
    }),
  ]).finally(() => clearTimeout(timer)).catch(async (error) => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await drained;
    throw error;
  });
  return {
    pid: child.pid,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws/worker`,
    dataDir: options.dataDir,
    accessToken: /Dashboard: \S*#token=([\w-]+)/.exec(text)?.[1],
    output: () => text,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await drained;
    },
  };
}
