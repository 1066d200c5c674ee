/** What a service install or uninstall is asked to do (parsed by src/cli/service_args.ts). */

export type ServiceRole = "worker" | "master";
export type ServiceAction = "install" | "uninstall";
export type ServicePlatform = "linux" | "darwin" | "windows";

export const SERVICE_PLATFORMS: readonly ServicePlatform[] = ["linux", "darwin", "windows"];

export interface ServiceConfig {
  role: ServiceRole;
  action: ServiceAction;
  platform: ServicePlatform;
  /** Print what would be written and run; change nothing. */
  dryRun: boolean;
  /** Prefix of every path written or removed (a scratch root for tests); no command is run. */
  root?: string;
  /** The gridmon executable to install (install only; default: the running binary). */
  binary?: string;
  /** Secret passed through a file only the service manager reads, never on a command line. */
  token?: string;
  /** The mode's flags on the service's command line (no secrets; paths added per platform). */
  args: string[];
  /** Master port (install only), so the unit can grant binding below 1024. */
  port?: number;
  help: boolean;
}
