/** The export's settings from the command line: secrets read from their files, headers built. */
import { UsageError } from "./errors.ts";
import type { RemoteConfig, RemoteSpec } from "./remote_args.ts";
import type { ExportSettings } from "../master/export/export_pipeline.ts";
import { REMOTE_WRITE_HEADERS } from "../master/export/remote_write.ts";
import type { RemoteTarget } from "../master/export/remote_sender.ts";
import type { Label } from "../master/export/series_groups.ts";

async function readSecret(path: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
  const secret = text.trim();
  if (!secret || /[\r\n]/.test(secret)) {
    throw new UsageError(`--${flag}: ${path} must hold the token on one line`);
  }
  return secret;
}

function target(
  spec: RemoteSpec,
  headers: Record<string, string>,
  secrets: { bearer?: string; influx?: string },
): RemoteTarget {
  const h: Record<string, string> = { ...headers };
  if (spec.kind === "remote-write") {
    Object.assign(h, REMOTE_WRITE_HEADERS);
    if (secrets.bearer) h.authorization = `Bearer ${secrets.bearer}`;
  } else {
    h["content-type"] = "text/plain; charset=utf-8";
    if (secrets.influx) h.authorization = `Token ${secrets.influx}`;
  }
  if (spec.basicAuth) {
    h.authorization = `Basic ${btoa(`${spec.basicAuth.user}:${spec.basicAuth.password}`)}`;
  }
  return { kind: spec.kind, url: spec.url, display: spec.display, headers: h };
}

/** Settings for the export pipeline; `hostname` names the master when no master label is given. */
export async function exportSettings(
  config: RemoteConfig,
  dataDir: string,
  hostname: string,
): Promise<ExportSettings> {
  const secrets = {
    bearer: config.bearerTokenFile
      ? await readSecret(config.bearerTokenFile, "remote-bearer-token-file")
      : undefined,
    influx: config.influxTokenFile
      ? await readSecret(config.influxTokenFile, "influx-token-file")
      : undefined,
  };
  let caCerts: string[] | undefined;
  if (config.caFile) {
    try {
      caCerts = [await Deno.readTextFile(config.caFile)];
    } catch (error) {
      throw new UsageError(
        `--remote-ca: cannot read ${config.caFile}: ${(error as Error).message}`,
      );
    }
    if (!caCerts[0].includes("-----BEGIN CERTIFICATE-----")) {
      throw new UsageError(`--remote-ca: ${config.caFile} holds no PEM certificate`);
    }
  }
  const labels: Label[] = [...config.externalLabels];
  if (!labels.some(([name]) => name === "master")) labels.push(["master", hostname]);
  return {
    remotes: config.remotes.map((spec) => target(spec, config.headers, secrets)),
    labels,
    queueRoot: `${dataDir}/remote`,
    queueMaxBytes: config.queueMaxBytes,
    ...(caCerts ? { caCerts } : {}),
  };
}
