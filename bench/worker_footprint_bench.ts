/**
 * Footprint of `gridmon worker --interval 1s` streaming to a (fake, in-process) master, measured
 * from /proc/<pid>/stat (CPU) and /proc/<pid>/status (RSS), beside prometheus-node-exporter
 * scraped once a second over the same period when it is installed.
 *
 * GRIDMON_BENCH_SECONDS sets the measured duration (default 120); the first seconds after start
 * (module loading, first connection) are left out of the CPU figure.
 *
 * One `worker --print --once` runs first, so the measured worker starts as it does after any
 * restart: from Deno's transpile and code caches. A first start after the sources changed
 * transpiles them, and the transpiler's pages of the deno executable then stay in that process's
 * RSS (about 15 MB more here); the compiled binary never transpiles.
 */
import { join } from "node:path";
import { startFakeMaster } from "../tests/helpers/fake_master.ts";
import {
  masterHostPort,
  workerPermissionFlags,
  workerV8FlagsArg,
} from "../src/worker/permissions.ts";

const NODE_EXPORTER = "/usr/bin/prometheus-node-exporter";
const TARGET_CPU_PCT = 0.2;
const TARGET_RSS_MB = 60;

const seconds = Number(Deno.env.get("GRIDMON_BENCH_SECONDS") ?? 120);
if (!Number.isFinite(seconds) || seconds < 5) {
  throw new RangeError(`GRIDMON_BENCH_SECONDS must be a number >= 5, got ${seconds}`);
}
const warmupSeconds = 5;

/**
 * CPU time (user + system, in clock ticks) and resident memory (bytes) of one process; `anon` is
 * the process's own memory (heap, stacks), the rest of `rss` mostly pages of its executable,
 * whose count depends on the page cache as much as on the process.
 */
interface ProcessUsage {
  ticks: number;
  rss: number;
  anon: number;
}

/** Pure: utime + stime from the text of /proc/<pid>/stat. */
function parseStatTicks(text: string): number {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new TypeError("Cannot parse /proc/<pid>/stat: no utime/stime");
  }
  return utime + stime;
}

/** Pure: a `kB` field (VmRSS, RssAnon) in bytes from the text of /proc/<pid>/status. */
function parseStatusKb(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(text);
  if (!match) throw new TypeError(`Cannot parse /proc/<pid>/status: no "${field}" line`);
  return Number(match[1]) * 1024;
}

async function usageOf(pid: number): Promise<ProcessUsage> {
  const [stat, status] = await Promise.all([
    Deno.readTextFile(`/proc/${pid}/stat`),
    Deno.readTextFile(`/proc/${pid}/status`),
  ]);
  return {
    ticks: parseStatTicks(stat),
    rss: parseStatusKb(status, "VmRSS"),
    anon: parseStatusKb(status, "RssAnon"),
  };
}

async function clockTicksPerSecond(): Promise<number> {
  try {
    const { stdout } = await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output();
    const value = Number(new TextDecoder().decode(stdout).trim());
    if (value > 0) return value;
  } catch { /* getconf missing */ }
  return 100;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Samples a process once a second; summarises CPU over the measured window and RSS. */
function monitor(pid: number) {
  const points: { at: number; usage: ProcessUsage }[] = [];
  return {
    async sample() {
      points.push({ at: performance.now(), usage: await usageOf(pid) });
    },
    summary(ticksPerSecond: number) {
      const measured = points.slice(warmupSeconds);
      const first = measured[0];
      const last = measured.at(-1)!;
      const cpuSeconds = (last.usage.ticks - first.usage.ticks) / ticksPerSecond;
      const wallSeconds = (last.at - first.at) / 1000;
      const rss = measured.map((p) => p.usage.rss);
      const anon = measured.map((p) => p.usage.anon);
      return {
        cpuPct: (100 * cpuSeconds) / wallSeconds,
        rssAvg: rss.reduce((a, b) => a + b, 0) / rss.length,
        anonAvg: anon.reduce((a, b) => a + b, 0) / anon.length,
        rssPeak: Math.max(...points.map((p) => p.usage.rss)),
        wallSeconds,
      };
    },
  };
}

const ticksPerSecond = await clockTicksPerSecond();
const master = startFakeMaster({ token: "bench-token" });
const dir = await Deno.makeTempDir({ prefix: "gridmon-footprint-" });
const spoolDir = join(dir, "spool");
const flags = [
  ...workerPermissionFlags({ spoolDir, masterHostPort: masterHostPort(master.url) }),
  workerV8FlagsArg(),
];
const mainPath = new URL("../main.ts", import.meta.url).pathname;
await new Deno.Command(Deno.execPath(), {
  args: ["run", ...flags, mainPath, "worker", "--print", "--once", "--spool", spoolDir],
  stdin: "null",
  stdout: "null",
  stderr: "inherit",
}).output();
const worker = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    ...flags,
    mainPath,
    "worker",
    "--master",
    master.url,
    "--token",
    "bench-token",
    "--interval",
    "1s",
    "--spool",
    spoolDir,
  ],
  stdin: "null",
  stdout: "null",
  stderr: "piped",
}).spawn();
const workerMonitor = monitor(worker.pid);

let exporter: Deno.ChildProcess | undefined;
let exporterUrl = "";
let scrapes = 0;
let scrapeFailures = 0;
try {
  await Deno.stat(NODE_EXPORTER);
  const port = freePort();
  exporterUrl = `http://127.0.0.1:${port}/metrics`;
  exporter = new Deno.Command(NODE_EXPORTER, {
    args: [`--web.listen-address=127.0.0.1:${port}`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
} catch {
  console.error(`bench: ${NODE_EXPORTER} not installed; measuring the worker alone`);
}
const exporterMonitor = exporter ? monitor(exporter.pid) : undefined;

const start = performance.now();
const total = seconds + warmupSeconds;
for (let i = 0; i <= total; i++) {
  const due = start + i * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  if (exporter && i > 0) {
    try {
      const response = await fetch(exporterUrl);
      await response.arrayBuffer();
      if (response.ok) scrapes++;
      else scrapeFailures++;
    } catch {
      scrapeFailures++;
    }
  }
  await workerMonitor.sample();
  await exporterMonitor?.sample();
}

const workerSummary = workerMonitor.summary(ticksPerSecond);
const exporterSummary = exporterMonitor?.summary(ticksPerSecond);
const committed = master.seqs().length;
worker.kill("SIGTERM");
const workerStatus = await worker.status;
const workerLog = new TextDecoder().decode(
  new Uint8Array(await new Response(worker.stderr).arrayBuffer()),
);
exporter?.kill("SIGTERM");
await exporter?.status;
await master.down();
await Deno.remove(dir, { recursive: true });

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const pass = (ok: boolean) => (ok ? "yes" : "**no**");
console.log(
  `Measured over ${workerSummary.wallSeconds.toFixed(0)} s after a ${warmupSeconds} s warm-up; ` +
    `worker flags: \`${flags.join(" ")}\`; the master committed ${committed} samples ` +
    `(worker exit ${workerStatus.code})` +
    (exporter ? `; node_exporter scraped ${scrapes} times (${scrapeFailures} failed)` : "") +
    ".\n",
);
console.log(
  "| process | CPU % of one core | RSS avg (MB) | RSS peak (MB) | anon RSS avg (MB) | within target |",
);
console.log("|---|---:|---:|---:|---:|---|");
console.log(
  `| gridmon worker --interval 1s | ${workerSummary.cpuPct.toFixed(3)} | ` +
    `${mb(workerSummary.rssAvg)} | ${mb(workerSummary.rssPeak)} | ${mb(workerSummary.anonAvg)} | ` +
    `${
      pass(
        workerSummary.cpuPct <= TARGET_CPU_PCT &&
          workerSummary.rssPeak <= TARGET_RSS_MB * 1024 * 1024,
      )
    } |`,
);
if (exporterSummary) {
  console.log(
    `| prometheus-node-exporter, scraped every 1 s | ${exporterSummary.cpuPct.toFixed(3)} | ` +
      `${mb(exporterSummary.rssAvg)} | ${mb(exporterSummary.rssPeak)} | ` +
      `${mb(exporterSummary.anonAvg)} | (reference) |`,
  );
}
console.log(`| target (worker) | ≤ ${TARGET_CPU_PCT} | | ≤ ${TARGET_RSS_MB} | | |`);
if (committed < seconds / 2) {
  console.error(`bench: the worker only delivered ${committed} samples; its log:\n${workerLog}`);
  Deno.exit(1);
}
