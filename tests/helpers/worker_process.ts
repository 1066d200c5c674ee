/** Runs `gridmon worker` as a real subprocess, from source, with the worker's permission flags. */
import { join } from "node:path";
import { masterHostPort, workerPermissionFlags } from "../../src/worker/permissions.ts";

/** The repository root (where main.ts is). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/**
 * Copies the procfs files the Linux collectors read into `dir/proc` (and an empty `dir/sys`), so
 * a worker can run with scoped permissions: Deno 2.9.6 opens the real /proc only with all of them.
 */
export async function snapshotProcRoot(
  dir: string,
): Promise<{ procRoot: string; sysRoot: string }> {
  const procRoot = join(dir, "proc");
  const sysRoot = join(dir, "sys");
  await Deno.mkdir(join(procRoot, "sys", "kernel"), { recursive: true });
  await Deno.mkdir(sysRoot, { recursive: true });
  for (
    const name of [
      "stat",
      "meminfo",
      "loadavg",
      "uptime",
      "sys/kernel/hostname",
      "sys/kernel/osrelease",
    ]
  ) {
    await Deno.writeTextFile(join(procRoot, name), await Deno.readTextFile(join("/proc", name)));
  }
  return { procRoot, sysRoot };
}

export interface WorkerProcessOptions {
  spoolDir: string;
  /** ws:// URL of the master; absent with --print. */
  masterUrl?: string;
  procRoot?: string;
  sysRoot?: string;
  /** Further `gridmon worker` arguments. */
  args?: string[];
}

/** A running worker subprocess with its stderr collected line by line. */
export interface WorkerProcess {
  child: Deno.ChildProcess;
  flags: string[];
  stderr: string[];
  /** Resolves with the exit status once the process ended and stderr is drained. */
  done: Promise<Deno.CommandStatus>;
}

/** `deno run <workerPermissionFlags> main.ts worker ...` */
export function spawnWorker(options: WorkerProcessOptions): WorkerProcess {
  const flags = workerPermissionFlags({
    spoolDir: options.spoolDir,
    masterHostPort: options.masterUrl ? masterHostPort(options.masterUrl) : undefined,
    procRoot: options.procRoot,
    sysRoot: options.sysRoot,
  });
  const args = [
    "run",
    ...flags,
    join(REPO_ROOT, "main.ts"),
    "worker",
    "--spool",
    options.spoolDir,
    ...(options.masterUrl ? ["--master", options.masterUrl] : []),
    ...(options.procRoot ? ["--proc-root", options.procRoot] : []),
    ...(options.sysRoot ? ["--sys-root", options.sysRoot] : []),
    ...(options.args ?? []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr: string[] = [];
  const drained = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      stderr.push(...lines);
    }
    if (rest) stderr.push(rest);
  })();
  child.stdout.cancel();
  const done = Promise.all([child.status, drained]).then(([status]) => status);
  return { child, flags, stderr, done };
}

/** Runs `gridmon worker <args>` to completion with the worker's flags; returns its output. */
export async function runWorker(
  options: WorkerProcessOptions,
): Promise<{ code: number; stdout: string; stderr: string; flags: string[] }> {
  const flags = workerPermissionFlags({
    spoolDir: options.spoolDir,
    procRoot: options.procRoot,
    sysRoot: options.sysRoot,
  });
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      join(REPO_ROOT, "main.ts"),
      "worker",
      "--spool",
      options.spoolDir,
      ...(options.procRoot ? ["--proc-root", options.procRoot] : []),
      ...(options.sysRoot ? ["--sys-root", options.sysRoot] : []),
      ...(options.args ?? []),
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    flags,
  };
}
