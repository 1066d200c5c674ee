/** `gridmon master` flags -> MasterConfig. */
import { UsageError } from "./errors.ts";
import { booleanOption, type OptionSpecs, readOptions, stringOption } from "./options.ts";
import { DEFAULT_PORT, parseDuration, parseDurationInRange, parsePort } from "./values.ts";
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from "./worker_args.ts";
import { parseRemoteArgs, REMOTE_HELP, REMOTE_OPTIONS, type RemoteConfig } from "./remote_args.ts";
import { RESERVED_LABELS } from "../master/export/series_groups.ts";

/** Shortest access token accepted: 16 characters resist guessing at the login rate limit. */
export const MIN_UI_TOKEN_LENGTH = 16;

import type { DamagedDbPolicy } from "../master/store/db_check.ts";
import type { Retention } from "../master/store/store_types.ts";

export type { DamagedDbPolicy, Retention };

export interface MasterConfig {
  port: number;
  bind: string;
  dataDir: string;
  /** Join token for workers; generated and kept in dataDir when absent. */
  token?: string;
  /** Access token for the UI and API; generated and kept in dataDir when absent. */
  uiToken?: string;
  localWorker: boolean;
  /** Sampling interval of the in-process worker that monitors the master's own host. */
  intervalMs: number;
  publicUi: boolean;
  retention: Retention;
  /** Alert rules file (see docs), when given. */
  alertsFile?: string;
  /** What to do when the database file is damaged or empty at start. */
  onDamagedDb: DamagedDbPolicy;
  /** Names the Host header may carry besides the machine's own names and addresses. */
  allowedHosts: string[];
  /** Remote write and InfluxDB export (no remotes: no export). */
  remote: RemoteConfig;
  help: boolean;
}

export const MASTER_OPTIONS: OptionSpecs = {
  port: { type: "string", env: true },
  bind: { type: "string", env: true },
  data: { type: "string", env: true },
  token: { type: "string", env: true },
  "ui-token": { type: "string", env: true },
  "no-local-worker": { type: "boolean", env: true },
  interval: { type: "string", env: true },
  "public-ui": { type: "boolean", env: true },
  retention: { type: "string", env: true },
  alerts: { type: "string", env: true },
  "allowed-host": { type: "string", env: true, multiple: true },
  "on-damaged-db": { type: "string", env: true },
  ...REMOTE_OPTIONS,
};

export const DEFAULT_RETENTION = "raw=48h,minute=30d,hour=400d";

export const MASTER_HELP =
  `gridmon master — the hub: ingest from workers, storage, anomaly detection and the web UI

Usage:
  gridmon master [options]

Options:
  --port N           port for the UI, the API and worker connections (default ${DEFAULT_PORT}; 0 = any free port)
  --bind ADDR        address to listen on (default 0.0.0.0)
  --data DIR         where the database and the join token live (default ./data)
  --token T          join token for workers (default: generated once, kept in DIR/token)
  --ui-token T       access token for the web UI and API, 16+ characters (default: generated once,
                     kept in DIR/ui-token)
  --no-local-worker  do not monitor the master's own host
  --interval D       sampling interval of the master's own host, 250ms to 1h (default 1s)
  --public-ui        serve the UI without asking for the access token (trusted networks only)
  --retention SPEC   how long each tier is kept (default ${DEFAULT_RETENTION})
  --alerts FILE      alert rules file
  --on-damaged-db P  when DIR/gridmon.db is damaged or empty: refuse to start (default), or
                     set-aside: rename it to gridmon.db.damaged-<time> and start a new one
  --allowed-host H   another name browsers reach this master by (a DNS name, a proxy); repeatable.
                     Its hostname, addresses and localhost are always allowed
${REMOTE_HELP}
  -h, --help         show this help

Every flag can also be set with an environment variable: GRIDMON_PORT, GRIDMON_TOKEN, GRIDMON_DATA, ...
Flags win over the environment.
`;

/** Parses `raw=48h,minute=30d,hour=400d` (any subset; the rest keep their defaults). */
export function parseRetention(text: string): Retention {
  const retention: Retention = { raw: 0, minute: 0, hour: 0 };
  const defaults = DEFAULT_RETENTION.split(",");
  for (const part of [...defaults, ...text.split(",")]) {
    const [tier, value, ...rest] = part.split("=").map((s) => s.trim());
    if (!(tier in retention) || value === undefined || rest.length > 0) {
      throw new UsageError(
        `--retention: "${part}" is not TIER=DURATION with TIER raw, minute or hour (example: ${DEFAULT_RETENTION})`,
      );
    }
    const ms = parseDuration(value, "retention");
    if (ms <= 0) throw new UsageError(`--retention: ${tier} must be longer than 0`);
    retention[tier as keyof Retention] = ms;
  }
  return retention;
}

function damagedDbPolicy(value: string): DamagedDbPolicy {
  if (value === "refuse" || value === "set-aside") return value;
  throw new UsageError(`--on-damaged-db: ${JSON.stringify(value)} is not refuse or set-aside`);
}

function allowedHosts(value: unknown): string[] {
  const names = (Array.isArray(value) ? value : []).map((name) => String(name).trim());
  const bad = names.find((name) => !/^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(:\d+)?$/i.test(name));
  if (bad !== undefined) {
    throw new UsageError(
      `--allowed-host: ${
        JSON.stringify(bad)
      } is not a host name or address (example: gridmon.example.com)`,
    );
  }
  return names;
}

/** Parses master argv + environment into a MasterConfig. Throws UsageError. */
export function parseMasterArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): MasterConfig {
  const values = readOptions("master", argv, MASTER_OPTIONS, env);
  const token = stringOption(values, "token");
  if (token !== undefined && (token.length < 8 || token.length > 256)) {
    throw new UsageError("--token: must be 8 to 256 characters long");
  }
  const uiToken = stringOption(values, "ui-token");
  if (uiToken !== undefined && (uiToken.length < MIN_UI_TOKEN_LENGTH || uiToken.length > 256)) {
    throw new UsageError(
      `--ui-token: must be ${MIN_UI_TOKEN_LENGTH} to 256 characters long (it guards the UI and the API)`,
    );
  }
  const bind = stringOption(values, "bind", "0.0.0.0");
  if (bind.trim() === "") throw new UsageError("--bind: must not be empty");
  const dotted = /^\d+\.\d+\.\d+\.\d+$/.test(bind) ? bind.split(".").map(Number) : [];
  if (dotted.some((octet) => octet > 255)) {
    throw new UsageError(`--bind: "${bind}" is not an IPv4 address (four numbers from 0 to 255)`);
  }
  return {
    port: parsePort(stringOption(values, "port", String(DEFAULT_PORT)), "port", true),
    bind,
    dataDir: stringOption(values, "data", "./data"),
    token,
    uiToken,
    localWorker: !booleanOption(values, "no-local-worker"),
    intervalMs: parseDurationInRange(
      stringOption(values, "interval", "1s"),
      "interval",
      MIN_INTERVAL_MS,
      MAX_INTERVAL_MS,
    ),
    publicUi: booleanOption(values, "public-ui"),
    retention: parseRetention(stringOption(values, "retention", DEFAULT_RETENTION)),
    alertsFile: stringOption(values, "alerts"),
    allowedHosts: allowedHosts(values["allowed-host"]),
    onDamagedDb: damagedDbPolicy(stringOption(values, "on-damaged-db", "refuse")),
    remote: parseRemoteArgs(values, RESERVED_LABELS),
    help: booleanOption(values, "help"),
  };
}
