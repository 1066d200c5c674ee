/** `gridmon master` flags of the remote export (remote write, InfluxDB) -> RemoteConfig. */
import { UsageError } from "./errors.ts";
import type { OptionSpecs, RawOptions } from "./options.ts";
import { stringOption } from "./options.ts";
import { parseSize } from "./values.ts";

export const REMOTE_OPTIONS: OptionSpecs = {
  "remote-write": { type: "string", multiple: true, env: true },
  "influx-write": { type: "string", multiple: true, env: true },
  "influx-db": { type: "string", env: true },
  "influx-org": { type: "string", env: true },
  "influx-bucket": { type: "string", env: true },
  "influx-token-file": { type: "string", env: true },
  "remote-bearer-token-file": { type: "string", env: true },
  "remote-header": { type: "string", multiple: true },
  "remote-ca": { type: "string", env: true },
  "external-label": { type: "string", multiple: true, env: true },
  "remote-queue-max": { type: "string", env: true },
};

export const REMOTE_HELP =
  `  --remote-write URL       Prometheus remote write 1.0 endpoint for every sample (repeatable);
                           basic auth as https://USER:PASSWORD@host/...
  --remote-bearer-token-file FILE   bearer token for the --remote-write endpoints
  --influx-write URL       InfluxDB (or compatible) base URL for line protocol (repeatable)
  --influx-db DB           InfluxDB 1.x database (user and password in the URL)
  --influx-org ORG --influx-bucket B --influx-token-file FILE   InfluxDB 2.x / 3.x
  --remote-header 'N: V'   extra header on every export request (repeatable)
  --remote-ca FILE         PEM certificate(s) to trust for https remotes
  --external-label K=V     label on every exported series (repeatable); master=NAME
                           overrides the master label (default: this host's name)
  --remote-queue-max SIZE  on-disk queue cap per remote; oldest batches go first (default 1GiB)`;

/** One remote as given on the command line; secrets still in files. */
export interface RemoteSpec {
  kind: "remote-write" | "influx";
  /** Request URL, without user info. */
  url: string;
  /** Without credentials or query, for logs and labels. */
  display: string;
  /** From the URL's user info. */
  basicAuth?: { user: string; password: string };
}

export interface RemoteConfig {
  remotes: RemoteSpec[];
  bearerTokenFile?: string;
  influxTokenFile?: string;
  headers: Record<string, string>;
  caFile?: string;
  /** External labels in the order given; `master` among them when set. */
  externalLabels: [string, string][];
  queueMaxBytes: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the exporter sets itself. */
const OWN_HEADERS = new Set([
  "content-type",
  "content-encoding",
  "content-length",
  "x-prometheus-remote-write-version",
]);

function list(values: RawOptions, flag: string): string[] {
  const value = values[flag];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

function parseUrl(text: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--${flag}: "${text}" is not a URL (example: http://127.0.0.1:8428/api/v1/write)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--${flag}: ${url.protocol} is not supported; use http:// or https://`);
  }
  return url;
}

function spec(kind: RemoteSpec["kind"], url: URL): RemoteSpec {
  const basicAuth = url.username || url.password
    ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
  url.username = "";
  url.password = "";
  const display = `${url.protocol}//${url.host}${url.pathname}`;
  return { kind, url: url.href, display, ...(basicAuth ? { basicAuth } : {}) };
}

function influxSpec(text: string, values: RawOptions): RemoteSpec {
  const url = parseUrl(text, "influx-write");
  const db = stringOption(values, "influx-db");
  const org = stringOption(values, "influx-org");
  const bucket = stringOption(values, "influx-bucket");
  if (db !== undefined && (org !== undefined || bucket !== undefined)) {
    throw new UsageError(
      "--influx-db (1.x) and --influx-org/--influx-bucket (2.x, 3.x) exclude each other",
    );
  }
  const base = url.pathname.replace(/\/+$/, "");
  if (db !== undefined) {
    if (!db) throw new UsageError("--influx-db: must not be empty");
    url.pathname = `${base}/write`;
    url.searchParams.set("db", db);
  } else {
    if (!bucket) {
      throw new UsageError(
        "--influx-write: needs --influx-db DB (1.x) or --influx-org and --influx-bucket (2.x, 3.x)",
      );
    }
    url.pathname = `${base}/api/v2/write`;
    if (org) url.searchParams.set("org", org);
    url.searchParams.set("bucket", bucket);
  }
  url.searchParams.set("precision", "ms");
  return spec("influx", url);
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon > 0 ? text.slice(0, colon).trim() : "";
  if (!HEADER_NAME.test(name)) {
    throw new UsageError(`--remote-header: "${text}" is not NAME: VALUE`);
  }
  if (OWN_HEADERS.has(name.toLowerCase())) {
    throw new UsageError(`--remote-header: ${name} is set by gridmon itself`);
  }
  const value = text.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) throw new UsageError(`--remote-header: ${name} has a line break`);
  return [name, value];
}

function parseLabel(text: string, reserved: ReadonlySet<string>): [string, string] {
  const eq = text.indexOf("=");
  const name = eq > 0 ? text.slice(0, eq).trim() : "";
  if (!LABEL_NAME.test(name) || name.startsWith("__")) {
    throw new UsageError(
      `--external-label: "${text}" is not NAME=VALUE with a Prometheus label name`,
    );
  }
  if (reserved.has(name)) {
    throw new UsageError(`--external-label: ${name} is a label gridmon sets on its series`);
  }
  const value = text.slice(eq + 1);
  if (value === "") throw new UsageError(`--external-label: ${name} needs a value`);
  return [name, value];
}

/**
 * Reads the export flags. `reserved`: label names the exporter sets itself. Throws UsageError.
 */
export function parseRemoteArgs(values: RawOptions, reserved: ReadonlySet<string>): RemoteConfig {
  const remotes = [
    ...list(values, "remote-write").map((u) => spec("remote-write", parseUrl(u, "remote-write"))),
    ...list(values, "influx-write").map((u) => influxSpec(u, values)),
  ];
  const externalLabels = list(values, "external-label").map((l) => parseLabel(l, reserved));
  const seen = new Set<string>();
  for (const [name] of externalLabels) {
    if (seen.has(name)) throw new UsageError(`--external-label: ${name} is given twice`);
    seen.add(name);
  }
  const needsRemote = [
    "influx-db",
    "influx-org",
    "influx-bucket",
    "influx-token-file",
    "remote-bearer-token-file",
    "remote-ca",
    "remote-queue-max",
  ].find((flag) => values[flag] !== undefined);
  if (needsRemote && !values["remote-write"] && !values["influx-write"]) {
    throw new UsageError(`--${needsRemote}: needs --remote-write or --influx-write`);
  }
  const displays = new Set<string>();
  for (const r of remotes) {
    const key = `${r.kind} ${r.url}`;
    if (displays.has(key)) throw new UsageError(`${r.display} is given twice`);
    displays.add(key);
  }
  return {
    remotes,
    bearerTokenFile: stringOption(values, "remote-bearer-token-file"),
    influxTokenFile: stringOption(values, "influx-token-file"),
    headers: Object.fromEntries(list(values, "remote-header").map(parseHeader)),
    caFile: stringOption(values, "remote-ca"),
    externalLabels,
    queueMaxBytes: parseSize(stringOption(values, "remote-queue-max", "1GiB"), "remote-queue-max"),
  };
}

/**
 * The files the export reads (CA, token files), for the master's read permission; undefined
 * when nothing is exported.
 */
export function exportFiles(remote: RemoteConfig): string[] | undefined {
  if (remote.remotes.length === 0) return undefined;
  return [remote.caFile, remote.bearerTokenFile, remote.influxTokenFile].filter(
    (f): f is string => f !== undefined,
  );
}
