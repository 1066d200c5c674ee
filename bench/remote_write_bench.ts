/**
 * Remote write benchmark: the master's sustained ingest with one remote (a VictoriaMetrics on
 * this machine) against without, in alternating rounds so both see the same machine load.
 *
 * Each measurement: a fresh master (subprocess, --no-local-worker, the master's V8 flags), 200
 * simulated machines back-filling ten hours of history as fast as acks come (as in
 * ingest_bench.ts), acknowledged samples per second over GRIDMON_BENCH_SECONDS (default 20),
 * the master's CPU and, with the remote, VictoriaMetrics's CPU, the values and bytes the remote
 * accepted, and how long the export needed after the fleet stopped to deliver the rest.
 * GRIDMON_BENCH_ROUNDS (default 2) pairs of measurements.
 */
import { masterV8FlagsArg } from "../src/master/permissions.ts";
import { startFleet } from "../src/simulate/fleet.ts";
import { createMachineModel } from "../src/simulate/machine_model.ts";
import { type DbServer, startVictoriaMetrics } from "../tests/export/db_servers.ts";
import { type MasterProcess, spawnMaster } from "../tests/simulate/master_process.ts";
import { cpuSecondsOf, loadAverage } from "./process_stats.ts";

const TOKEN = "bench-remote-write-token";
const SECONDS = Number(Deno.env.get("GRIDMON_BENCH_SECONDS") ?? 20);
const ROUNDS = Number(Deno.env.get("GRIDMON_BENCH_ROUNDS") ?? 2);
const MACHINES = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => console.error(`remote_write_bench: ${line}`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Measurement {
  withRemote: boolean;
  samplesPerSecond: number;
  masterCpu: number;
  vmCpu: number;
  valuesPerSecond: number;
  bytesPerValue: number;
  bytesPerSample: number;
  drainSeconds: number;
  dropped: number;
  load: string;
}

/** Sums every series of a counter or gauge in a /metrics text. */
function metric(text: string, name: string, filter = ""): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, "gm"))) {
    if (!filter || (m[1] ?? "").includes(filter)) sum += Number(m[2]);
  }
  return sum;
}

async function metricsOf(master: MasterProcess): Promise<string> {
  return await (await fetch(`${master.httpUrl}/metrics`, {
    headers: { authorization: `Bearer ${master.accessToken}` },
  })).text();
}

async function measure(withRemote: boolean): Promise<Measurement> {
  const dataDir = await Deno.makeTempDir({ prefix: "gridmon-bench-rw-" });
  let vm: DbServer | undefined;
  let master: MasterProcess | undefined;
  try {
    if (withRemote) vm = await startVictoriaMetrics();
    master = await spawnMaster({
      token: TOKEN,
      dataDir,
      denoFlags: [masterV8FlagsArg()],
      args: vm ? ["--remote-write", vm.writeUrl] : [],
    });
    const now = Date.now();
    const fleet = startFleet({
      url: master.wsUrl,
      token: TOKEN,
      models: Array.from({ length: MACHINES }, (_, i) => createMachineModel("bench-rw", i)),
      intervalMs: 1000,
      startMs: now - 10 * 3_600_000,
      endMs: now - 60_000,
      speed: Infinity,
      window: 500,
      samplesPerFrame: 100,
    });
    const connecting = performance.now();
    while (fleet.stats.connected < MACHINES && performance.now() - connecting < 60_000) {
      await sleep(50);
    }
    await sleep(3000); // warm up: JIT, SQLite cache, first flushes and batches
    const load = await loadAverage();
    const acked0 = fleet.stats.acked;
    const cpu0 = await cpuSecondsOf(master.pid);
    const vmCpu0 = vm ? await cpuSecondsOf(vm.pid()) : 0;
    const m0 = await metricsOf(master);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const acked = fleet.stats.acked - acked0;
    const cpu = (await cpuSecondsOf(master.pid)) - cpu0;
    const vmCpu = vm ? (await cpuSecondsOf(vm.pid())) - vmCpu0 : 0;
    const m1 = await metricsOf(master);
    await fleet.stop();
    const totalAcked = fleet.stats.acked;
    // Let the export deliver what ingest left behind; time it.
    const stopped = performance.now();
    let last = m1;
    while (vm && performance.now() - stopped < 120_000) {
      last = await metricsOf(master);
      const pending = metric(last, "gridmon_export_rows_pending") +
        metric(last, "gridmon_remote_queue_batches");
      if (pending === 0 && metric(last, "gridmon_remote_values_sent_total") > 0) {
        await sleep(1500); // a batch may still sit in the export thread's open batch
        last = await metricsOf(master);
        if (metric(last, "gridmon_remote_queue_batches") === 0) break;
      }
      await sleep(250);
    }
    const values = metric(m1, "gridmon_remote_values_sent_total") -
      metric(m0, "gridmon_remote_values_sent_total");
    const bytesTotal = metric(last, "gridmon_remote_bytes_sent_total");
    const valuesTotal = metric(last, "gridmon_remote_values_sent_total");
    return {
      withRemote,
      samplesPerSecond: acked / seconds,
      masterCpu: (100 * cpu) / seconds,
      vmCpu: (100 * vmCpu) / seconds,
      valuesPerSecond: values / seconds,
      bytesPerValue: valuesTotal ? bytesTotal / valuesTotal : NaN,
      bytesPerSample: totalAcked ? bytesTotal / totalAcked : NaN,
      drainSeconds: vm ? (performance.now() - stopped) / 1000 : NaN,
      dropped: metric(last, "gridmon_remote_values_dropped_total") +
        metric(last, "gridmon_export_rows_dropped_total"),
      load,
    };
  } finally {
    await master?.stop();
    await vm?.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

const results: Measurement[] = [];
const loadBefore = await loadAverage();
for (let round = 1; round <= ROUNDS; round++) {
  for (const withRemote of [false, true]) {
    progress(`round ${round}: ${withRemote ? "with" : "without"} remote write, ${SECONDS} s`);
    results.push(await measure(withRemote));
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const without = results.filter((r) => !r.withRemote);
const withRw = results.filter((r) => r.withRemote);
const slower = 1 - mean(withRw.map((r) => r.samplesPerSecond)) /
    mean(without.map((r) => r.samplesPerSecond));

console.log(`machine: ${navigator.hardwareConcurrency} CPUs, load average before: ${loadBefore}\n`);
console.log(
  "| run | remote | samples/s acked | master CPU | VictoriaMetrics CPU | values/s sent | bytes/value | bytes/sample | drain after stop | dropped | load |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
results.forEach((r, i) => {
  const cells = [
    String(Math.floor(i / 2) + 1),
    r.withRemote ? "VictoriaMetrics" : "none",
    fmt(r.samplesPerSecond),
    `${fmt(r.masterCpu)} %`,
    r.withRemote ? `${fmt(r.vmCpu)} %` : "",
    r.withRemote ? fmt(r.valuesPerSecond) : "",
    r.withRemote ? fmt(r.bytesPerValue, 2) : "",
    r.withRemote ? fmt(r.bytesPerSample, 0) : "",
    r.withRemote ? `${fmt(r.drainSeconds, 1)} s` : "",
    r.withRemote ? fmt(r.dropped) : "",
    r.load,
  ];
  console.log(`| ${cells.join(" | ")} |`);
});
console.log(
  `\nsustained ingest with one remote: ${
    fmt(100 * slower, 1)
  } % slower than without (target <= 25 %: ${slower <= 0.25 ? "ok" : "MISSED"})`,
);
