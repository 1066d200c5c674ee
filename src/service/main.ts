/** `gridmon worker|master install|uninstall`: set gridmon up as a service, or remove it. */
import { UsageError } from "../cli/errors.ts";
import {
  parseServiceArgs,
  type ServiceAction,
  type ServiceConfig,
  serviceHelp,
  type ServiceRole,
} from "../cli/service_args.ts";
import { applyPlan } from "./apply.ts";
import { darwinPlan } from "./launchd.ts";
import { describePlan, type Plan } from "./plan.ts";
import { linuxPlan } from "./systemd.ts";
import { windowsPlan } from "./windows_task.ts";

/** The plan for `config`; `binarySource` is the executable an install copies into place. */
export function servicePlan(config: ServiceConfig, binarySource: string): Plan {
  switch (config.platform) {
    case "linux":
      return linuxPlan(config, binarySource);
    case "darwin":
      return darwinPlan(config, binarySource);
    case "windows":
      return windowsPlan(config, binarySource);
  }
}

/** True when the running program is a compiled gridmon, not `deno` running main.ts. */
function isCompiled(execPath: string): boolean {
  return !/(^|[\\/])deno(\.exe)?$/.test(execPath);
}

/** The executable to install: --binary, else the running binary. Throws when there is none. */
export async function binarySource(config: ServiceConfig): Promise<string> {
  if (config.action === "uninstall") return "";
  const path = config.binary ?? Deno.execPath();
  if (config.binary === undefined && !isCompiled(path)) {
    throw new UsageError(
      `${config.role} install: run it from the gridmon binary (not deno main.ts), or pass --binary PATH`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UsageError(`--binary: ${path} not found`);
    throw error;
  }
  if (!info.isFile) throw new UsageError(`--binary: ${path} is not a file`);
  return await Deno.realPath(path);
}

/** What `checkCanApply` looks at on the running system. */
export interface HostFacts {
  os: string;
  /** Null on Windows. */
  uid: number | null;
  /** Whether /run/systemd/system exists (systemd is PID 1). */
  systemdRunning: boolean;
}

/**
 * Refuses, before anything is written, to change a system that cannot take the service: another
 * platform, no root, or (install on Linux) no running systemd. Nothing to check under --root.
 */
export function checkCanApply(config: ServiceConfig, host: HostFacts): void {
  if (config.root !== undefined) return;
  if (config.platform !== host.os) {
    throw new UsageError(
      `--platform ${config.platform} on ${host.os} only goes with --dry-run or --root`,
    );
  }
  if (host.uid !== null && host.uid !== 0) {
    throw new Error(
      `${config.role} ${config.action} writes system files: run it as root (sudo gridmon ${config.role} ${config.action} ...)`,
    );
  }
  if (config.platform === "linux" && config.action === "install" && !host.systemdRunning) {
    throw new Error(
      `systemd is not running on this machine (no /run/systemd/system), so there is no service to install; start \`gridmon ${config.role}\` from this system's init instead`,
    );
  }
}

async function hostFacts(): Promise<HostFacts> {
  let systemdRunning = false;
  try {
    systemdRunning = (await Deno.stat("/run/systemd/system")).isDirectory;
  } catch {
    // absent
  }
  return {
    os: Deno.build.os,
    uid: Deno.build.os === "windows" ? null : Deno.uid(),
    systemdRunning,
  };
}

async function checkRoot(root: string | undefined): Promise<void> {
  if (root === undefined) return;
  try {
    if ((await Deno.stat(root)).isDirectory) return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  throw new UsageError(`--root: ${root} is not a directory`);
}

/** Entry point of `gridmon <role> install|uninstall` (see serviceHelp). */
export async function serviceMain(
  role: ServiceRole,
  action: ServiceAction,
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const config = parseServiceArgs(role, action, argv, env);
  if (config.help) {
    console.log(serviceHelp(role));
    return;
  }
  await checkRoot(config.root);
  const plan = servicePlan(config, await binarySource(config));
  if (config.dryRun) {
    console.log(`# gridmon ${role} ${action} --dry-run: nothing is written or run`);
    console.log(describePlan(plan, [config.token]));
    return;
  }
  checkCanApply(config, await hostFacts());
  await applyPlan(plan, { root: config.root });
  for (const note of plan.notes) console.error(note);
}
