/**
 * Read-side latency of the master's HTTP API, measured over real HTTP against the real store:
 * `/api/machines` with 1,000 machines (target < 20 ms) and one machine's last 24 h of 1 s samples
 * downsampled to 1,000 points (target < 50 ms). Prints a markdown table.
 */
import { startMaster } from "../src/master/server.ts";
import { openStore } from "../src/master/store/sqlite_store.ts";
import type { IngestRow, MachineInfo } from "../src/master/store/store_types.ts";
import type { Sample } from "../src/protocol/sample.ts";
import { DEFAULT_RETENTION, parseRetention } from "../src/cli/master_args.ts";

const MACHINES = 1000;
const DAY_S = 86_400;
const RUNS = 50;
const UI_TOKEN = "bench-ui-token-0123456789";

function info(id: string): MachineInfo {
  return {
    id,
    name: `node-${id}`,
    hostname: `node-${id}.lan`,
    os: "linux",
    osName: "Debian GNU/Linux 12 (bookworm)",
    kernel: "6.1.0",
    arch: "x86_64",
    cores: 8,
    memTotal: 16e9,
    agentVersion: "0.1.0",
    intervalMs: 1000,
  };
}

/** A full sample with a daily cycle and some noise (8 cores, 2 disks, 2 NICs, 3 filesystems). */
function sample(id: string, seq: number, ts: number): Sample {
  const day = Math.sin((2 * Math.PI * (ts % 86_400_000)) / 86_400_000);
  const cpu = Math.min(100, Math.max(0, 35 + 25 * day + 10 * Math.random()));
  const mem = 40 + 10 * day + 2 * Math.random();
  return {
    ts,
    seq,
    machineId: id,
    hostname: `node-${id}.lan`,
    cpu: {
      usage: cpu,
      user: cpu * 0.7,
      system: cpu * 0.25,
      iowait: cpu * 0.05,
      steal: 0,
      cores: Array.from({ length: 8 }, () => Math.min(100, cpu * (0.5 + Math.random()))),
    },
    mem: {
      total: 16e9,
      used: 16e9 * mem / 100,
      available: 16e9 * (1 - mem / 100),
      usedPct: mem,
      swapTotal: 2e9,
      swapUsed: 1e8,
    },
    load: { "1": cpu / 12, "5": cpu / 13, "15": cpu / 14 },
    disks: ["nvme0n1", "sda"].map((name) => ({
      name,
      readBps: 1e6 * Math.random(),
      writeBps: 2e6 * Math.random(),
      readIops: 100 * Math.random(),
      writeIops: 200 * Math.random(),
      utilPct: 10 * Math.random(),
    })),
    filesystems: ["/", "/var", "/home"].map((mount) => ({
      mount,
      fstype: "ext4",
      size: 5e11,
      used: 2e11,
      usedPct: 40,
    })),
    net: ["eth0", "eth1"].map((iface) => ({
      iface,
      rxBps: 1e6 * Math.random(),
      txBps: 5e5 * Math.random(),
      rxPps: 1000 * Math.random(),
      txPps: 800 * Math.random(),
      rxErrors: 0,
      txErrors: 0,
    })),
    uptime: 1e6 + seq,
    procs: 300,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function time(url: string): Promise<{ ms: number[]; bytes: number; body: unknown }> {
  const ms: number[] = [];
  let bytes = 0;
  let body: unknown;
  for (let i = 0; i < RUNS + 3; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { Authorization: `Bearer ${UI_TOKEN}` } });
    const text = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${text}`);
    if (i >= 3) ms.push(elapsed); // the first requests warm up JIT and caches
    bytes = text.length;
    body = JSON.parse(text);
  }
  return { ms: ms.sort((a, b) => a - b), bytes, body };
}

const dir = await Deno.makeTempDir({ prefix: "gridmon_api_bench_" });
const store = openStore({
  path: `${dir}/gridmon.db`,
  retention: parseRetention(DEFAULT_RETENTION),
});
const now = Date.now();

const fillStarted = performance.now();
const fleetRows: IngestRow[] = [];
for (let i = 0; i < MACHINES; i++) {
  const id = `m${String(i).padStart(4, "0")}`;
  store.registerMachine(info(id), now - 1000);
  fleetRows.push({ machineId: id, sample: sample(id, 0, now - 1000), receivedAt: now - 1000 });
}
store.write(fleetRows);
const day: IngestRow[] = [];
for (let s = 0; s < DAY_S; s++) {
  const ts = now - (DAY_S - s) * 1000;
  day.push({ machineId: "m0000", sample: sample("m0000", s + 1, ts), receivedAt: ts });
  if (day.length === 2000) store.write(day.splice(0));
}
store.write(day);
const fillS = (performance.now() - fillStarted) / 1000;

const master = await startMaster({
  store,
  bind: "127.0.0.1",
  port: 0,
  joinToken: "bench-join-token-0123456789",
  uiToken: UI_TOKEN,
  publicUi: false,
  log: () => {},
});
const base = `http://127.0.0.1:${master.port}`;
const machines = await time(`${base}/api/machines`);
const seriesUrl = `${base}/api/machines/m0000/series?from=${
  now - DAY_S * 1000
}&to=${now}&points=1000`;
const series = await time(seriesUrl);
const seriesBody = series.body as { tier: string; t: number[]; avg: Record<string, unknown> };
const cpuOnly = await time(`${seriesUrl}&metrics=cpu.usage,mem.usedPct`);

/** Milliseconds of `runs` direct store queries (no HTTP, no JSON), sorted. */
function storeTimes(tier: "raw" | undefined, runs: number): number[] {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    store.querySeries("m0000", { from: now - DAY_S * 1000, to: now, points: 1000, tier });
    ms.push(performance.now() - started);
  }
  return ms.sort((a, b) => a - b);
}
const autoMs = storeTimes(undefined, 20);
const rawMs = storeTimes("raw", 10);

await master.close();
store.close();
await Deno.remove(dir, { recursive: true });

const row = (name: string, target: number | undefined, ms: number[], note: string) => {
  const p50 = percentile(ms, 50);
  const p95 = percentile(ms, 95);
  const verdict = target === undefined ? "—" : p95 < target ? "pass" : "FAIL";
  const goal = target === undefined ? "—" : `< ${target} ms`;
  return `| ${name} | ${goal} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${
    ms.at(-1)!.toFixed(1)
  } | ${verdict} | ${note} |`;
};

console.log(
  `Store filled with ${MACHINES} machines and ${DAY_S} samples of one machine in ${
    fillS.toFixed(1)
  } s; ${RUNS} requests each over HTTP (127.0.0.1), after 3 warm-up requests.\n`,
);
console.log("| request | target | p50 ms | p95 ms | max ms | result | notes |");
console.log("|---|---|---|---|---|---|---|");
console.log(
  row(
    "GET /api/machines (1,000 machines)",
    20,
    machines.ms,
    `${(machines.bytes / 1e6).toFixed(2)} MB JSON`,
  ),
);
console.log(
  row(
    "GET /api/machines/:id/series, 24 h → 1,000 points, all metrics",
    50,
    series.ms,
    `tier ${seriesBody.tier}, ${seriesBody.t.length} buckets, ${
      Object.keys(seriesBody.avg).length
    } metrics, ${(series.bytes / 1e6).toFixed(2)} MB`,
  ),
);
console.log(
  row(
    "same, metrics=cpu.usage,mem.usedPct",
    50,
    cpuOnly.ms,
    `${(cpuOnly.bytes / 1e3).toFixed(0)} kB`,
  ),
);
console.log(
  row("store.querySeries 24 h, tier chosen by the store (no HTTP)", undefined, autoMs, "20 runs"),
);
console.log(
  row(
    "store.querySeries 24 h from the raw tier (no HTTP)",
    undefined,
    rawMs,
    "forced raw, 10 runs",
  ),
);
console.log(
  `\nload average while measuring: ${Deno.loadavg().map((l) => l.toFixed(1)).join(", ")}`,
);
