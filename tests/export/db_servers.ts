/**
 * Real time-series databases for the export tests and bench, each started on a free port in a
 * temp dir: Debian's victoria-metrics, prometheus (with the remote-write receiver) and influxd
 * (1.x). `stop()` ends one gracefully (SIGTERM: it finishes in-flight requests and flushes);
 * `start()` runs it again on the same port and data, as after an outage.
 */

export interface DbServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Where the remote-write (or line-protocol) requests go. */
  writeUrl: string;
  pid(): number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and deletes its data. */
  close(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitReady(
  url: string,
  child: Deno.ChildProcess,
  log: () => string,
  client?: Deno.HttpClient,
) {
  const until = Date.now() + 60_000;
  let exited = false;
  child.status.then(() => (exited = true));
  while (Date.now() < until && !exited) {
    try {
      const response = await fetch(url, client ? { client } : {});
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`database at ${url} did not start:\n${log()}`);
}

interface ServerSpec {
  command: string;
  args: (port: number, dir: string) => string[];
  readyPath: string;
  writePath: string;
  prepare?: (port: number, dir: string) => Promise<void>;
  /** https with this CA (PEM) instead of http. */
  ca?: string;
}

async function serve(spec: ServerSpec): Promise<DbServer> {
  const dir = await Deno.makeTempDir({ prefix: `gridmon-${spec.command}-` });
  const port = freePort();
  await spec.prepare?.(port, dir);
  const url = `${spec.ca ? "https" : "http"}://127.0.0.1:${port}`;
  const client = spec.ca ? Deno.createHttpClient({ caCerts: [spec.ca] }) : undefined;
  let child: Deno.ChildProcess | undefined;
  let output = "";
  const server: DbServer = {
    url,
    writeUrl: `${url}${spec.writePath}`,
    pid: () => child?.pid ?? 0,
    async start() {
      output = "";
      child = new Deno.Command(spec.command, {
        args: spec.args(port, dir),
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).spawn();
      const decoder = new TextDecoder();
      const keep = async (stream: ReadableStream<Uint8Array>) => {
        for await (const chunk of stream) output = (output + decoder.decode(chunk)).slice(-20_000);
      };
      keep(child.stdout);
      keep(child.stderr);
      await waitReady(`${url}${spec.readyPath}`, child, () => output, client);
    },
    async stop() {
      if (!child) return;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      child = undefined;
    },
    async close() {
      await server.stop();
      client?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  await server.start();
  return server;
}

/** VictoriaMetrics single node; queries see data at once (no latency offset). */
export function startVictoriaMetrics(): Promise<DbServer> {
  return serve({
    command: "victoria-metrics",
    args: (port, dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dir}`,
      "-retentionPeriod=100y",
      "-search.latencyOffset=0s",
      "-search.disableCache",
      "-loggerLevel=ERROR",
    ],
    readyPath: "/health",
    writePath: "/api/v1/write",
  });
}

/** A CA and a certificate for 127.0.0.1 it signed, made with openssl, as PEM files in `dir`. */
export async function makeCertificates(
  dir: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (out.code !== 0) {
      throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    }
  };
  await run(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=gridmon test CA",
  );
  await run(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1\n");
  await run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  return { ca: `${dir}/ca.pem`, cert: `${dir}/server.pem`, key: `${dir}/server.key` };
}

/**
 * vmauth over https in front of `backend`: requests with the bearer token or the basic-auth user
 * of `users` go through, any other gets 401.
 */
export async function startVmAuth(
  backend: string,
  users: { bearer: string; user: string; password: string },
  tls: { ca: string; cert: string; key: string },
): Promise<DbServer> {
  const ca = await Deno.readTextFile(tls.ca);
  return serve({
    command: "vmauth",
    ca,
    prepare: (_port, dir) =>
      Deno.writeTextFile(
        `${dir}/auth.yml`,
        [
          "users:",
          `  - bearer_token: "${users.bearer}"`,
          `    url_prefix: "${backend}"`,
          `  - username: "${users.user}"`,
          `    password: "${users.password}"`,
          `    url_prefix: "${backend}"`,
          "",
        ].join("\n"),
      ),
    args: (port, dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-auth.config=${dir}/auth.yml`,
      "-tls",
      `-tlsCertFile=${tls.cert}`,
      `-tlsKeyFile=${tls.key}`,
      "-loggerLevel=ERROR",
    ],
    readyPath: "/health",
    writePath: "/api/v1/write",
  });
}

/** Prometheus as a remote-write receiver; with `scrape`, it also scrapes HOST:PORT's /metrics every second. */
export function startPrometheus(scrape?: string): Promise<DbServer> {
  const config = scrape
    ? [
      "global: {scrape_interval: 1s, scrape_timeout: 1s}",
      "scrape_configs:",
      "  - job_name: gridmon",
      `    static_configs: [{targets: ["${scrape}"]}]`,
      "",
    ].join("\n")
    : "scrape_configs: []\n";
  return serve({
    command: "prometheus",
    prepare: (_port, dir) => Deno.writeTextFile(`${dir}/prometheus.yml`, config),
    args: (port, dir) => [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--log.level=error",
    ],
    readyPath: "/-/ready",
    writePath: "/api/v1/write",
  });
}

/** InfluxDB 1.x with HTTP on a free port and its RPC port on another. */
export function startInfluxDb(): Promise<DbServer> {
  return serve({
    command: "influxd",
    prepare: (port, dir) =>
      Deno.writeTextFile(
        `${dir}/influxdb.conf`,
        [
          `reporting-disabled = true`,
          `bind-address = "127.0.0.1:${freePort()}"`,
          `[meta]`,
          `  dir = "${dir}/meta"`,
          `[data]`,
          `  dir = "${dir}/data"`,
          `  wal-dir = "${dir}/wal"`,
          `  query-log-enabled = false`,
          `[http]`,
          `  bind-address = "127.0.0.1:${port}"`,
          `  log-enabled = false`,
          `[monitor]`,
          `  store-enabled = false`,
          "",
        ].join("\n"),
      ),
    args: (_port, dir) => ["-config", `${dir}/influxdb.conf`],
    readyPath: "/ping",
    writePath: "/write",
  });
}

/** Runs an instant PromQL query (VictoriaMetrics or Prometheus) and returns its vector. */
export async function promQuery(
  baseUrl: string,
  query: string,
  time?: number,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set("time", String(time / 1000));
  const response = await fetch(`${baseUrl}/api/v1/query?${params}`);
  const body = await response.json();
  if (!response.ok || body.status !== "success") {
    throw new Error(`query ${query} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.data.result;
}

/** Runs an InfluxQL query against InfluxDB 1.x and returns the first statement's series. */
export async function influxQuery(
  baseUrl: string,
  db: string,
  q: string,
): Promise<
  { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[]
> {
  const response = await fetch(`${baseUrl}/query?${new URLSearchParams({ db, q })}`);
  const body = await response.json();
  if (!response.ok || body.results?.[0]?.error) {
    throw new Error(`influx query ${q} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.results[0].series ?? [];
}

/** Runs a PromQL range query over [from, to] and returns its matrix. */
export async function promRange(
  baseUrl: string,
  query: string,
  from: number,
  to: number,
  stepS = 15,
): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
  const params = new URLSearchParams({
    query,
    start: String(from / 1000),
    end: String(to / 1000),
    step: String(stepS),
  });
  const response = await fetch(`${baseUrl}/api/v1/query_range?${params}`);
  const body = await response.json();
  if (!response.ok || body.status !== "success") {
    throw new Error(`query ${query} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.data.result;
}

/** Values of label `label` over the series `match` selects (Grafana's label_values()). */
export async function labelValues(
  baseUrl: string,
  label: string,
  match: string,
): Promise<string[]> {
  const params = new URLSearchParams({ "match[]": match });
  const response = await fetch(`${baseUrl}/api/v1/label/${label}/values?${params}`);
  const body = await response.json();
  if (!response.ok || body.status !== "success") {
    throw new Error(`label values ${label} of ${match} failed: ${JSON.stringify(body)}`);
  }
  return body.data;
}
