/**
 * The shared core of the test helpers that run the real `gridmon master` as a subprocess:
 * spawns `deno run DENO_FLAGS main.ts master --bind 127.0.0.1 --no-local-worker ...`, keeps
 * draining stdout and stderr, and resolves once stdout announces the Dashboard.
 * On exit or timeout before that it kills the process and throws with everything it printed.
 */
const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${REPO_ROOT}main.ts`;

export interface StartMasterOptions<T> {
  /** Flags for `deno run` (permissions, --cpu-prof, ...), placed before main.ts. */
  denoFlags: string[];
  /** The port flag's value: a fixed port, or 0 for a free one. */
  port: number;
  dataDir: string;
  /** The join token (default: the master makes one and prints it in the worker command). */
  token?: string;
  /** More master flags (e.g. --public-ui). */
  args?: string[];
  /** Run the master's local worker too (default: --no-local-worker). */
  localWorker?: boolean;
  /** Run in the repository root with stdin closed (default: inherit both). */
  inRepoRoot?: boolean;
  /** Looks at the stdout so far: anything but `undefined` means the master is ready. */
  ready: (output: string) => T | undefined;
  /** How long to wait for `ready` (default 30 s). */
  timeoutMs?: number;
}

export interface StartedMaster<T> {
  child: Deno.ChildProcess;
  /** What `ready` returned. */
  ready: T;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves once the process ended and its output is drained. */
  done: Promise<Deno.CommandStatus>;
}

/** Starts the master and waits until `ready` answers. */
export async function startMasterProcess<T>(
  options: StartMasterOptions<T>,
): Promise<StartedMaster<T>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...options.denoFlags,
      MAIN,
      "master",
      "--bind",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--data",
      options.dataDir,
      ...(options.token === undefined ? [] : ["--token", options.token]),
      ...(options.localWorker ? [] : ["--no-local-worker"]),
      ...(options.args ?? []),
    ],
    ...(options.inRepoRoot ? { cwd: REPO_ROOT, stdin: "null" as const } : {}),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  let stdout = "";
  let announce: (value: T) => void = () => {};
  const listening = new Promise<T>((resolve) => (announce = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>, isStdout: boolean) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (!isStdout) continue;
      stdout += chunk;
      const value = options.ready(stdout);
      if (value !== undefined) announce(value);
    }
  };
  const drained = Promise.all([drain(child.stdout, true), drain(child.stderr, false)]);
  const done = Promise.all([child.status, drained]).then(([status]) => status);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ready: T;
  try {
    ready = await Promise.race([
      listening,
      done.then((s): never => {
        throw new Error(`master exited with ${s.code} before listening:\n${text}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`master did not print a Dashboard line:\n${text}`)),
          options.timeoutMs ?? 30_000,
        );
      }),
    ]);
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await done;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { child, ready, output: () => text, done };
}
