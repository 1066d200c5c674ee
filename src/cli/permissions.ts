/**
 * The Deno permissions of the gridmon executable, in one place: what `deno compile` bakes into
 * the binary (and what the tests run the entry point with), and what each mode drops at startup.
 *
 * Why not narrower: Deno 2.9.6 lets a program read /proc, /sys or /dev only when every permission
 * kind is granted in full ("Requires all access to /proc/stat"), so the Linux worker, and the
 * master that monitors its own host, need all of them. `Deno.permissions.revokeSync` can take a
 * whole kind away, but revoking a path or host inside a kind granted in full changes nothing, so
 * a mode can only drop kinds: those its own `deno run` flags (src/worker/permissions.ts,
 * src/master/permissions.ts) do not mention. The real fence for the services is systemd's sandbox (see
 * src/service/systemd.ts): a dynamic unprivileged user, a read-only file system but for its state
 * directory, no capabilities, a system call filter.
 */
import { processEnv } from "./env.ts";
import { parseMasterArgs } from "./master_args.ts";
import { exportFiles } from "./remote_args.ts";
import { parseWorkerArgs } from "./worker_args.ts";
import { masterPermissionFlags } from "../master/permissions.ts";
import { masterHostPort, workerPermissionFlags } from "../worker/permissions.ts";

/** Every Deno permission kind. */
export const PERMISSION_KINDS = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

export type PermissionKind = typeof PERMISSION_KINDS[number];

/** Flags `deno compile` builds gridmon with; the tests `deno run` main.ts with exactly these. */
export const COMPILE_PERMISSION_FLAGS: readonly string[] = PERMISSION_KINDS.map((kind) =>
  `--allow-${kind}`
);

/** What an ordinary server mode uses: files, sockets, GRIDMON_* variables, host information. */
const SERVER_KINDS: PermissionKind[] = ["read", "write", "net", "env", "sys"];

type Env = Record<string, string | undefined>;

/** The kinds a list of `deno run` permission flags grants (`--allow-all`: every kind). */
export function kindsOfFlags(flags: readonly string[]): readonly PermissionKind[] {
  if (flags.includes("--allow-all") || flags.includes("-A")) return PERMISSION_KINDS;
  return PERMISSION_KINDS.filter((kind) =>
    flags.some((flag) => flag === `--allow-${kind}` || flag.startsWith(`--allow-${kind}=`))
  );
}

// The worker's and the master's own permission modules say what they need; a mode that reads
// /proc or /sys gets --allow-all there, and so keeps every kind here.
function workerKinds(argv: string[], os: string, env: Env): readonly PermissionKind[] {
  try {
    const config = parseWorkerArgs(argv, env);
    return kindsOfFlags(workerPermissionFlags({
      spoolDir: config.spoolDir,
      masterHostPort: config.masterUrl === undefined ? undefined : masterHostPort(config.masterUrl),
      procRoot: config.procRoot,
      sysRoot: config.sysRoot,
      os,
    }));
  } catch {
    return PERMISSION_KINDS; // The worker itself reports the usage error; keep everything until then.
  }
}

function masterKinds(argv: string[], os: string, env: Env): readonly PermissionKind[] {
  try {
    const config = parseMasterArgs(argv, env);
    return kindsOfFlags(
      masterPermissionFlags({
        dataDir: config.dataDir,
        localWorker: config.localWorker,
        os,
        alertsFile: config.alertsFile,
        exportFiles: exportFiles(config.remote),
      }),
    );
  } catch {
    return PERMISSION_KINDS; // As above.
  }
}

/**
 * The permission kinds the command `argv` (the whole gridmon argv, mode first) keeps on `os`.
 * `version`, `help` and unknown modes keep none.
 */
export function keptPermissions(
  argv: string[],
  os: string,
  env: Env = {},
): readonly PermissionKind[] {
  const [mode, ...rest] = argv;
  if ((mode === "worker" || mode === "master") && /^(un)?install$/.test(rest[0] ?? "")) {
    // Writes the service files, runs systemctl / launchctl / schtasks.
    return ["read", "write", "env", "sys", "run"];
  }
  switch (mode) {
    case "worker":
      return workerKinds(rest, os, env);
    case "master":
      return masterKinds(rest, os, env);
    case "simulate":
      return SERVER_KINDS;
    case "score":
      return ["read", "write", "env", "sys"];
    default:
      return [];
  }
}

/**
 * Revokes, for the rest of the process, every permission kind the command `argv` does not keep.
 * Returns the kinds it revoked.
 */
export function dropPermissions(
  argv: string[],
  os: string = Deno.build.os,
  env: Env = processEnv(),
): PermissionKind[] {
  const kept = new Set(keptPermissions(argv, os, env));
  const revoked = PERMISSION_KINDS.filter((kind) => !kept.has(kind));
  for (const name of revoked) Deno.permissions.revokeSync({ name });
  return revoked;
}
