/**
 * The Deno permissions `gridmon worker` runs with. Shared by the deno.json task, the compile
 * script and the tests, which run the worker with nothing more.
 *
 * Deno 2.9.6 guards /proc, /sys and /dev by path: reading anything there (except
 * /proc/pressure/*) needs every permission, unscoped, whatever --allow-read says. So with the
 * default roots the only flag that works is --allow-all. Scoped permissions work when procfs and
 * sysfs are reachable elsewhere, e.g. bind-mounted read-only by the service manager
 * (systemd: `BindReadOnlyPaths=/proc:/run/gridmon/proc /sys:/run/gridmon/sys`) and passed with
 * `--proc-root /run/gridmon/proc --sys-root /run/gridmon/sys`: then the worker gets exactly read
 * access to those roots, the machine id, os-release and its spool, write access to its spool,
 * network access to its master, hostname and GRIDMON_* variables.
 */

export interface WorkerPermissionOptions {
  /** The spool directory (also where a generated machine id is kept). */
  spoolDir: string;
  /** `host:port` of the master (see `masterHostPort`); absent for `--print`. */
  masterHostPort?: string;
  /** Where procfs is read (default /proc). */
  procRoot?: string;
  /** Where sysfs is read (default /sys). */
  sysRoot?: string;
  /** Deno.build.os unless given. */
  os?: string;
}

/**
 * V8 flags for a process that runs the worker alone: no optimizing compilers (--lite-mode: about
 * 4 MB less RSS, no more CPU for a loop that runs once a second), garbage collection on the main
 * thread (--single-threaded-gc: no GC helper threads to wake), and no memory reducer (its extra
 * full GCs while the process idles cost about 0.03 % of a core; the live set is small and steady),
 * and a young generation of at most 1 MB per semi-space (the process scans' short-lived garbage
 * otherwise grows it, and the worker's RSS with it, by about 3 MB; scavenges of 1 MB are cheap).
 * The deno.json `worker` task and the footprint bench use them. Not for the compiled gridmon
 * binary: its flags apply to every mode, and the master needs the optimizing compilers.
 */
export const WORKER_V8_FLAGS: readonly string[] = [
  "--lite-mode",
  "--single-threaded-gc",
  "--no-memory-reducer",
  "--max-semi-space-size=1",
];

/** WORKER_V8_FLAGS as one `deno run` argument. */
export function workerV8FlagsArg(): string {
  return `--v8-flags=${WORKER_V8_FLAGS.join(",")}`;
}

/** Paths Deno only opens with every permission granted. */
export const DENO_GUARDED_PREFIXES = ["/proc", "/sys", "/dev"];

/** Files besides procfs, sysfs and the spool that the worker reads on Linux. */
export const WORKER_READ_FILES = [
  "/etc/machine-id",
  "/var/lib/dbus/machine-id",
  "/etc/os-release",
  "/usr/lib/os-release",
];

/** True when `path` lies in a tree Deno guards (see DENO_GUARDED_PREFIXES). */
export function isDenoGuardedPath(path: string): boolean {
  return DENO_GUARDED_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** System information the worker asks Deno for, per platform. */
export function workerSysNames(os: string): string[] {
  // Linux reads everything from procfs (Deno.hostname is the fallback for the hostname);
  // elsewhere the collectors ask Deno and node:os for CPU times, memory, load and uptime.
  return os === "linux"
    ? ["hostname"]
    : ["hostname", "osRelease", "cpus", "systemMemoryInfo", "loadavg", "osUptime"];
}

/** `host:port` of a ws(s):// or http(s):// URL, with the scheme's default port made explicit. */
export function masterHostPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (/^(wss|https):$/.test(parsed.protocol) ? "443" : "80");
  return `${parsed.hostname}:${port}`;
}

/** True when these options can only work with --allow-all (procfs or sysfs at its usual place). */
export function workerNeedsAllowAll(options: WorkerPermissionOptions): boolean {
  const os = options.os ?? Deno.build.os;
  return os === "linux" &&
    (isDenoGuardedPath(options.procRoot ?? "/proc") ||
      isDenoGuardedPath(options.sysRoot ?? "/sys"));
}

/** Deno permission flags for `deno run` / `deno compile` of the worker (see the module doc). */
export function workerPermissionFlags(options: WorkerPermissionOptions): string[] {
  if (workerNeedsAllowAll(options)) return ["--allow-all"];
  const os = options.os ?? Deno.build.os;
  const reads = os === "linux"
    ? [options.procRoot ?? "/proc", options.sysRoot ?? "/sys", ...WORKER_READ_FILES]
    : [];
  reads.push(options.spoolDir);
  const flags = [
    `--allow-read=${reads.join(",")}`,
    `--allow-write=${options.spoolDir}`,
    `--allow-sys=${workerSysNames(os).join(",")}`,
    "--allow-env=GRIDMON_*",
  ];
  if (options.masterHostPort !== undefined) flags.push(`--allow-net=${options.masterHostPort}`);
  return flags;
}
