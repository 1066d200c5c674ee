/**
 * Ingest benchmark: the real master (a subprocess, --no-local-worker, temp data dir, free port)
 * fed by the fleet simulator running in this process.
 *
 * 1. sustained ingest: 200 machines back-fill ten hours of history as fast as acks come;
 *    acknowledged samples per second over GRIDMON_BENCH_INGEST_SECONDS (default 20); meanwhile
 *    GET /healthz and GET /api/machines every 100 ms (p99, max), the master's own event-loop lag,
 *    and how many samples its local worker stored of those it should have;
 * 2. 1,000 machines live at 1 s for GRIDMON_BENCH_SECONDS (default 60): sample time to ack
 *    (p50, p99) and the master's peak RSS;
 * 3. bytes on disk per stored sample, after the master of (1) shut down and checkpointed.
 *
 * GRIDMON_BENCH_PROFILE_DIR=DIR makes each master write a V8 CPU profile into DIR.
 */
import { DatabaseSync } from "node:sqlite";
import { masterV8FlagsArg } from "../src/master/permissions.ts";
import { startFleet } from "../src/simulate/fleet.ts";
import { createMachineModel } from "../src/simulate/machine_model.ts";
import { spawnMaster } from "../tests/simulate/master_process.ts";
import { cpuSecondsOf, memoryOf } from "./process_stats.ts";

const TOKEN = "bench-ingest-token";
const INGEST_SECONDS = Number(Deno.env.get("GRIDMON_BENCH_INGEST_SECONDS") ?? 20);
const LIVE_SECONDS = Number(Deno.env.get("GRIDMON_BENCH_SECONDS") ?? 60);
/** When set, the masters write V8 CPU profiles there (for finding the bottleneck). */
const PROFILE_DIR = Deno.env.get("GRIDMON_BENCH_PROFILE_DIR");
/** The master runs with the V8 flags its tasks and the compiled binary use. */
const DENO_FLAGS = [
  masterV8FlagsArg(),
  ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
];
/** Unacknowledged samples per back-filling machine, and samples per frame. */
const WINDOW = Number(Deno.env.get("GRIDMON_BENCH_WINDOW") ?? 500);
const PER_FRAME = Number(Deno.env.get("GRIDMON_BENCH_FRAME") ?? 100);
const LIVE_WORKERS = Number(Deno.env.get("GRIDMON_BENCH_WORKERS") ?? 1000);

interface Row {
  metric: string;
  value: string;
  target: string;
  ok?: boolean;
}

const rows: Row[] = [];
const progress = (line: string) => console.error(`ingest_bench: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function models(n: number, seed: string) {
  return Array.from({ length: n }, (_, i) => createMachineModel(seed, i));
}

/** Flushes and seconds spent flushing, from the master's /metrics. */
async function flushStats(httpUrl: string, token: string | undefined) {
  const response = await fetch(`${httpUrl}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN);
  return {
    flushes: read("gridmon_ingest_flushes_total"),
    seconds: read("gridmon_ingest_flush_seconds_total"),
  };
}

function flushRow(
  label: string,
  a: { flushes: number; seconds: number },
  b: typeof a,
  wall: number,
): Row {
  const flushes = b.flushes - a.flushes;
  const ms = ((b.seconds - a.seconds) * 1000) / Math.max(1, flushes);
  return {
    metric: `master flushes during ${label}`,
    value: `${fmt(flushes / wall, 1)}/s, ${fmt(ms, 1)} ms each`,
    target: "",
  };
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) total += await directorySize(path);
    else if (entry.isFile) total += (await Deno.stat(path)).size;
  }
  return total;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

/** Latencies (ms) of GET `path`, one request after the other every `everyMs`, until stopped. */
function probe(url: string, token: string | undefined, everyMs = 100) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        const response = await fetch(url, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        await response.arrayBuffer();
        if (!response.ok) failures.push(`HTTP ${response.status}`);
        latencies.push(performance.now() - t0);
      } catch (error) {
        failures.push(String((error as Error).cause ?? error));
      }
      await sleep(everyMs);
    }
  })();
  return {
    failures,
    async stop() {
      stopped = true;
      await done;
      return Float64Array.from(latencies).sort();
    },
  };
}

/** The master's own event-loop lag over the last minute, from /healthz. */
async function masterLag(httpUrl: string): Promise<{ p99: number; max: number }> {
  const body = await (await fetch(`${httpUrl}/healthz`)).json();
  return body.eventLoopLagMs ?? { p99: NaN, max: NaN };
}

/** Raw rows the local worker (the one machine not simulated) stored between two times. */
function localStored(dataDir: string, from: number, to: number): number {
  const db = new DatabaseSync(`${dataDir}/gridmon.db`, { readOnly: true });
  try {
    const row = db.prepare(
      `SELECT count(*) AS n FROM raw WHERE machine =
         (SELECT idx FROM machines WHERE hostname = ?) AND ts >= ? AND ts < ?`,
    ).get(Deno.hostname(), from, to) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

async function sustainedIngest(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "gridmon-bench-ingest-" });
  // With its local worker: it must keep storing every second while the fleet back-fills.
  const master = await spawnMaster({
    token: TOKEN,
    dataDir,
    denoFlags: DENO_FLAGS,
    localWorker: true,
  });
  let stored = 0;
  const measured = { from: 0, to: 0 };
  try {
    const now = Date.now();
    const fleet = startFleet({
      url: master.wsUrl,
      token: TOKEN,
      models: models(200, "bench-backfill"),
      intervalMs: 1000,
      startMs: now - 10 * 3_600_000,
      endMs: now - 60_000,
      speed: Infinity,
      window: WINDOW,
      samplesPerFrame: PER_FRAME,
    });
    const connecting = performance.now();
    while (fleet.stats.connected < 200 && performance.now() - connecting < 60_000) await sleep(50);
    progress(`sustained: ${fleet.stats.connected} machines connected, warming up`);
    await sleep(3000); // warm up: JIT, SQLite cache, first flushes
    const acked0 = fleet.stats.acked;
    const cpu0 = await cpuSecondsOf(master.pid);
    const selfCpu0 = await cpuSecondsOf(Deno.pid);
    const flush0 = await flushStats(master.httpUrl, master.accessToken);
    const t0 = performance.now();
    measured.from = Date.now();
    const health = probe(`${master.httpUrl}/healthz`, undefined);
    const machines = probe(`${master.httpUrl}/api/machines`, master.accessToken);
    progress(`sustained: measuring for ${INGEST_SECONDS} s`);
    await sleep(INGEST_SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    measured.to = Date.now();
    const lag = await masterLag(master.httpUrl);
    for (const [name, p] of [["/healthz", health], ["/api/machines", machines]] as const) {
      const sorted = await p.stop();
      const p99 = percentile(sorted, 99);
      const max = sorted.at(-1) ?? NaN;
      const failed = p.failures.length
        ? `; ${p.failures.length} failed (${[...new Set(p.failures)].join(", ")})`
        : "";
      rows.push({
        metric: `GET ${name} during back-fill, p99 / max (${sorted.length} requests)`,
        value: `${fmt(p99, 1)} / ${fmt(max, 1)} ms${failed}`,
        target: "p99 < 200 ms, max < 1 s",
        ok: p99 < 200 && max < 1000 && !failed,
      });
    }
    rows.push({
      metric: "master event-loop lag during back-fill, p99 / max (last minute, as it sees it)",
      value: `${fmt(lag.p99, 1)} / ${fmt(lag.max, 1)} ms`,
      target: "",
    });
    const rate = (fleet.stats.acked - acked0) / seconds;
    const cpu = (await cpuSecondsOf(master.pid)) - cpu0;
    const selfCpu = (await cpuSecondsOf(Deno.pid)) - selfCpu0;
    const flush1 = await flushStats(master.httpUrl, master.accessToken);
    const { hwm } = await memoryOf(master.pid);
    await fleet.stop();
    stored = fleet.stats.acked;
    rows.push({
      metric:
        `sustained ingest, 200 machines back-filling (${PER_FRAME} samples/frame, ${WINDOW} in flight each), ${
          Math.round(seconds)
        } s`,
      value: `${fmt(rate)} samples/s`,
      target: "≥ 20,000 samples/s",
      ok: rate >= 20_000,
    });
    rows.push({
      metric: "master CPU during sustained ingest",
      value: `${fmt((100 * cpu) / seconds)} % of one core`,
      target: "",
    });
    rows.push({
      metric: "simulator CPU during sustained ingest (same machine)",
      value: `${fmt((100 * selfCpu) / seconds)} % of one core`,
      target: "",
    });
    rows.push(flushRow("sustained ingest", flush0, flush1, seconds));
    rows.push({ metric: "master peak RSS during sustained ingest", value: mb(hwm), target: "" });
  } finally {
    await master.stop();
  }
  // Whole seconds inside the window: the local worker samples once a second.
  const expected = Math.floor((measured.to - measured.from) / 1000);
  const local = localStored(dataDir, measured.from, measured.to);
  rows.push({
    metric: "local worker samples stored during back-fill / expected",
    value: `${fmt(local)} / ${fmt(expected)}`,
    target: "all",
    ok: local >= expected,
  });
  const bytes = await directorySize(dataDir);
  rows.push({
    metric: `bytes on disk per stored sample (${fmt(stored)} samples, after shutdown)`,
    value: `${fmt(bytes / Math.max(1, stored))} B`,
    target: "",
  });
  await Deno.remove(dataDir, { recursive: true });
}

async function liveFleet(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "gridmon-bench-live-" });
  const master = await spawnMaster({ token: TOKEN, dataDir, denoFlags: DENO_FLAGS });
  try {
    let latencies = new Float64Array(LIVE_WORKERS * (LIVE_SECONDS + 5));
    let count = 0;
    let measureFrom = Infinity;
    let measureTo = Infinity;
    const began = performance.now();
    const fleet = startFleet({
      url: master.wsUrl,
      token: TOKEN,
      models: models(LIVE_WORKERS, "bench-live"),
      intervalMs: 1000,
      startMs: Date.now(),
      speed: 1,
      onAck(ts, ackedAt) {
        if (ts < measureFrom || ts >= measureTo) return;
        if (count === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[count++] = ackedAt - ts;
      },
    });
    while (fleet.stats.connected < LIVE_WORKERS) {
      if (performance.now() - began > 120_000) {
        progress(
          `live: connected ${fleet.stats.connected}, closes ${JSON.stringify(fleet.stats.closes)}`,
        );
        throw new Error(
          `only ${fleet.stats.connected} of ${LIVE_WORKERS} machines connected in 2 min`,
        );
      }
      await sleep(50);
    }
    const connectSeconds = (performance.now() - began) / 1000;
    progress(`live: ${LIVE_WORKERS} machines connected in ${fmt(connectSeconds, 1)} s, measuring`);
    await sleep(5000); // let the catch-up after connecting settle
    measureFrom = Date.now();
    // This process's event-loop lag: when it is high, the machine (not the master) is slow.
    const lags: number[] = [];
    let due = performance.now() + 10;
    const lagTimer = setInterval(() => {
      const now = performance.now();
      lags.push(now - due);
      due = now + 10;
    }, 10);
    const cpu0 = await cpuSecondsOf(master.pid);
    const flush0 = await flushStats(master.httpUrl, master.accessToken);
    let peakRss = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < LIVE_SECONDS * 1000) {
      peakRss = Math.max(peakRss, (await memoryOf(master.pid)).rss);
      await sleep(1000);
    }
    const seconds = (performance.now() - t0) / 1000;
    measureTo = measureFrom + seconds * 1000;
    clearInterval(lagTimer);
    const sortedLags = Float64Array.from(lags).sort();
    const cpu = (await cpuSecondsOf(master.pid)) - cpu0;
    const flush1 = await flushStats(master.httpUrl, master.accessToken);
    const { hwm } = await memoryOf(master.pid);
    const reconnects = fleet.stats.reconnects;
    await sleep(2000); // the last samples of the window get their acks
    await fleet.stop();
    const sorted = latencies.slice(0, count).sort();
    const p99 = percentile(sorted, 99);
    rows.push({
      metric: `${fmt(LIVE_WORKERS)} machines at 1 s: connected in`,
      value: `${fmt(connectSeconds, 1)} s`,
      target: "",
    });
    rows.push({
      metric: `sample time → ack, p50 (${fmt(count)} samples over ${Math.round(seconds)} s)`,
      value: `${fmt(percentile(sorted, 50), 1)} ms`,
      target: "",
    });
    rows.push({
      metric: "sample time → ack, p99",
      value: `${fmt(p99, 1)} ms`,
      target: "< 200 ms",
      ok: p99 < 200,
    });
    rows.push({
      metric: "simulator event-loop lag p99 / max (CPU starvation of the measuring side)",
      value: `${fmt(percentile(sortedLags, 99), 1)} / ${fmt(sortedLags.at(-1) ?? NaN, 1)} ms`,
      target: "",
    });
    rows.push({
      metric: "sample time → ack, max",
      value: `${fmt(sorted.at(-1) ?? NaN, 1)} ms`,
      target: "",
    });
    const expected = LIVE_WORKERS * seconds;
    rows.push({
      metric: "acknowledged samples vs. expected",
      value: `${fmt(count)} / ${fmt(expected)} (${reconnects} reconnects)`,
      target: "all",
      ok: count >= expected * 0.98 && reconnects === 0,
    });
    const peak = Math.max(peakRss, hwm);
    rows.push({
      metric: "master peak RSS (VmHWM)",
      value: `${mb(peak)} (sampled VmRSS max ${mb(peakRss)})`,
      target: "< 300 MB",
      ok: peak < 300 * 1024 * 1024,
    });
    rows.push(flushRow("the live run", flush0, flush1, seconds));
    rows.push({
      metric: `master CPU at ${fmt(LIVE_WORKERS)} samples/s`,
      value: `${fmt((100 * cpu) / seconds)} % of one core`,
      target: "",
    });
  } finally {
    await master.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function printTable(): void {
  console.log("| measurement | value | target | |");
  console.log("|---|---:|---|---|");
  for (const r of rows) {
    const mark = r.ok === undefined ? "" : r.ok ? "ok" : "MISSED";
    console.log(`| ${r.metric} | ${r.value} | ${r.target} | ${mark} |`);
  }
}

const loadBefore = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
rows.push({
  metric: `machine: ${navigator.hardwareConcurrency} CPUs, load average before the run`,
  value: loadBefore,
  target: "",
});
/** GRIDMON_BENCH_ONLY=sustained or live runs one part. */
const ONLY = Deno.env.get("GRIDMON_BENCH_ONLY");
try {
  if (ONLY !== "live") await sustainedIngest();
  if (ONLY !== "sustained") await liveFleet();
} finally {
  printTable();
}
