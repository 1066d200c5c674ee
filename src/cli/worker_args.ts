/** `gridmon worker` flags -> WorkerConfig. */
import { UsageError } from "./errors.ts";
import { booleanOption, type OptionSpecs, readOptions, stringOption } from "./options.ts";
import {
  parseProcessOptions,
  PROCESS_HELP,
  PROCESS_OPTIONS,
  type ProcessConfig,
} from "./process_args.ts";
import { parseDurationInRange, parseMasterAddress, parseSize } from "./values.ts";
import { DEFAULT_NET_EXCLUDE } from "../worker/collectors/network.ts";

export interface WorkerConfig {
  /** WebSocket URL of the master's ingest, e.g. ws://192.168.1.101:7863/ws/worker. Absent with --print. */
  masterUrl?: string;
  token?: string;
  intervalMs: number;
  /** Display name; the master uses the hostname when absent. */
  name?: string;
  /** Machine id to report instead of /etc/machine-id (cloned VMs and containers share that). */
  machineId?: string;
  spoolDir: string;
  spoolMaxBytes: number;
  print: boolean;
  once: boolean;
  /** Interfaces matching this pattern are left out (lo and virtual ones by default). */
  netExclude: RegExp;
  /** When set, only interfaces matching it are kept (applied before netExclude). */
  netInclude?: RegExp;
  procRoot: string;
  sysRoot: string;
  /** Process scans (Linux); absent with `--process-interval off`. */
  processes?: ProcessConfig;
  help: boolean;
}

export const WORKER_OPTIONS: OptionSpecs = {
  master: { type: "string", env: true },
  token: { type: "string", env: true },
  interval: { type: "string", env: true },
  name: { type: "string", env: true },
  "machine-id": { type: "string", env: true },
  spool: { type: "string", env: true },
  "spool-max": { type: "string", env: true },
  print: { type: "boolean" },
  once: { type: "boolean" },
  "net-exclude": { type: "string", env: true },
  "net-include": { type: "string", env: true },
  "proc-root": { type: "string", env: true },
  "sys-root": { type: "string", env: true },
  ...PROCESS_OPTIONS,
};

export { DEFAULT_NET_EXCLUDE };

export const MIN_INTERVAL_MS = 250;
export const MAX_INTERVAL_MS = 3_600_000;

export const WORKER_HELP =
  `gridmon worker — read this machine's metrics every interval and stream them to a master

Usage:
  gridmon worker --master HOST[:PORT] --token T [options]
  gridmon worker --print [--once]

Options:
  --master ADDR      master address: HOST, HOST:PORT, [IPv6]:PORT or ws(s)://HOST:PORT (port 7863 by default)
  --token T          the master's join token (printed by \`gridmon master\`)
  --interval D       sampling interval, 250ms to 1h (default 1s)
  --name N           display name on the master (default: the hostname)
  --machine-id ID    this machine's id on the master (default: /etc/machine-id); give each clone
                     of a VM image or container its own, e.g. the output of uuidgen
  --spool DIR        where unacknowledged samples are kept across restarts (default ./gridmon-spool)
  --spool-max SIZE   on-disk spool cap; the oldest samples go first when full (default 64MiB)
  --print            print one JSON sample per line to stdout and connect to nothing
  --once             stop after one sample (with --print)
  --net-exclude RE   interfaces to leave out (default: lo and virtual interfaces)
  --net-include RE   only keep interfaces matching RE
  --proc-root DIR    read procfs from DIR instead of /proc
  --sys-root DIR     read sysfs from DIR instead of /sys
${PROCESS_HELP}
  -h, --help         show this help

Every flag can also be set with an environment variable: GRIDMON_MASTER, GRIDMON_TOKEN,
GRIDMON_INTERVAL, ... Flags win over the environment.
`;

/** Flags about the connection to a master, which --print never makes. */
const PRINT_IGNORES = ["master", "token", "spool-max", "name"];

const MACHINE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function machineIdOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!MACHINE_ID_RE.test(text)) {
    throw new UsageError(
      `--machine-id: "${
        text.slice(0, 40)
      }" must be 1 to 128 letters, digits, '.', '_', ':' or '-' (e.g. a UUID)`,
    );
  }
  return text;
}

function regexOption(text: string | undefined, flag: string): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch {
    throw new UsageError(`--${flag}: "${text}" is not a valid regular expression`);
  }
}

/** Parses worker argv + environment into a WorkerConfig. Throws UsageError. */
export function parseWorkerArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): WorkerConfig {
  const values = readOptions("worker", argv, WORKER_OPTIONS, env);
  const help = booleanOption(values, "help");
  const print = booleanOption(values, "print");
  const once = booleanOption(values, "once");
  const master = stringOption(values, "master");
  if (!help && !print && master === undefined) {
    throw new UsageError("worker: --master is required (or --print to print samples locally)");
  }
  if (once && !print) throw new UsageError("worker: --once only goes with --print");
  if (print) {
    // Flags only: GRIDMON_MASTER in a service's environment must not stop a quick --print.
    const flags = readOptions("worker", argv, WORKER_OPTIONS, {});
    const unused = PRINT_IGNORES.filter((flag) => flags[flag] !== undefined);
    if (unused.length > 0) {
      throw new UsageError(
        `worker: --${
          unused[0]
        } does nothing with --print (it prints samples here and connects to nothing)`,
      );
    }
  }
  const intervalMs = parseDurationInRange(
    stringOption(values, "interval", "1s"),
    "interval",
    MIN_INTERVAL_MS,
    MAX_INTERVAL_MS,
  );
  return {
    masterUrl: master === undefined ? undefined : parseMasterAddress(master),
    token: stringOption(values, "token"),
    intervalMs,
    name: stringOption(values, "name"),
    machineId: machineIdOption(stringOption(values, "machine-id")),
    spoolDir: stringOption(values, "spool", "./gridmon-spool"),
    spoolMaxBytes: parseSize(stringOption(values, "spool-max", "64MiB"), "spool-max"),
    print,
    once,
    netExclude: regexOption(
      stringOption(values, "net-exclude", DEFAULT_NET_EXCLUDE),
      "net-exclude",
    )!,
    netInclude: regexOption(stringOption(values, "net-include"), "net-include"),
    procRoot: stringOption(values, "proc-root", "/proc"),
    sysRoot: stringOption(values, "sys-root", "/sys"),
    processes: parseProcessOptions(values, intervalMs),
    help,
  };
}
