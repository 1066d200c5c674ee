/**
 * Store benchmark: ingest throughput, bytes on disk per sample, series and machine-list query
 * times, and a retention pass. Prints a markdown table. Run: `deno task bench store`.
 */
import process from "node:process";
import { DatabaseSync } from "node:sqlite";
import { createMachineModel } from "../src/simulate/machine_model.ts";
import { openStore } from "../src/master/store/sqlite_store.ts";
import { retainInSlices } from "../src/master/store/retention.ts";
import type { IngestRow } from "../src/master/store/store_types.ts";
import {
  machineInfo,
  realisticSample,
  RETENTION,
  rng,
} from "../tests/master/store/store_fixtures.ts";

const MACHINES = 1000;
const SECONDS = 90;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 20);

const rows: [string, string, string][] = [];
function report(metric: string, value: string, note = ""): void {
  rows.push([metric, value, note]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function dbBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) {
    const size = (await Deno.stat(`${dir}/${e.name}`)).size;
    if (Deno.env.get("BENCH_DEBUG")) console.error(e.name, size);
    total += size;
  }
  return total;
}

const shape = (m: number) => ({ cores: 2 + (m % 7), disks: 1 + (m % 2), ifaces: 1 + (m % 2) });

/** 1,000 machines, one sample each per second, one write (flush) per second of samples. */
async function fleetIngest() {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_bench_" });
  let clock = T0;
  const store = openStore({ path: `${dir}/gridmon.db`, retention: RETENTION, now: () => clock });
  for (let m = 0; m < MACHINES; m++) store.registerMachine(machineInfo(`m${m}`), T0);
  const rand = rng(7);
  // First half: one write per second of samples (1,000 rows). Second half: ten writes of 100
  // rows (a hub flushing every 100 ms, as its acknowledgement latency target needs).
  const runs = [
    { rows: 1000, wall: 0, cpu: 0, n: 0, ms: [] as number[] },
    { rows: 100, wall: 0, cpu: 0, n: 0, ms: [] as number[] },
  ];
  for (let s = 0; s < SECONDS; s++) {
    const batch: IngestRow[] = [];
    for (let m = 0; m < MACHINES; m++) {
      const sample = realisticSample(`m${m}`, T0 + s * 1000 + m, s, shape(m), rand);
      batch.push({
        machineId: sample.machineId,
        sample,
        receivedAt: sample.ts + 20,
        verdict: { score: rand(), anomalous: false, reason: null },
      });
    }
    const run = runs[s < SECONDS / 2 ? 0 : 1];
    for (let i = 0; i < batch.length; i += run.rows) {
      const part = batch.slice(i, i + run.rows);
      clock = part[part.length - 1].receivedAt;
      const c0 = cpuMs();
      const t0 = performance.now();
      store.write(part);
      const ms = performance.now() - t0;
      run.ms.push(ms);
      run.wall += ms;
      run.cpu += cpuMs() - c0;
      run.n += part.length;
    }
  }
  const n = MACHINES * SECONDS;
  for (const run of runs) {
    report(
      `write throughput (1,000 machines, ${run.rows.toLocaleString("en")} rows per write)`,
      `${Math.round(run.n / (run.wall / 1000)).toLocaleString("en")} samples/s`,
      `CPU time: ${Math.round(run.n / (run.cpu / 1000)).toLocaleString("en")} samples/s; ` +
        `write() median ${median(run.ms).toFixed(1)} ms, p95 ${p95(run.ms).toFixed(1)} ms, ` +
        `max ${Math.max(...run.ms).toFixed(1)} ms`,
    );
  }

  const mem = Deno.memoryUsage();
  report(
    "process memory after ingest (1,000 machines)",
    `${Math.round(mem.rss / 2 ** 20)} MiB RSS`,
    `JS heap ${Math.round(mem.heapUsed / 2 ** 20)} MiB; SQLite page cache limited to 32 MiB`,
  );

  const listMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    store.listMachines();
    store.latestSamples();
    listMs.push(performance.now() - t0);
  }
  report(
    "listMachines() + latestSamples(), 1,000 machines",
    `${median(listMs).toFixed(2)} ms`,
    `p95 ${p95(listMs).toFixed(2)} ms`,
  );

  const fleetMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    store.queryFleetSeries({ from: clock - 3_600_000, to: clock, points: 1000 });
    fleetMs.push(performance.now() - t0);
  }
  report("queryFleetSeries(), last hour, 1,000 machines", `${median(fleetMs).toFixed(2)} ms`);

  const scatterMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    store.queryScatter({ from: clock - 60_000, to: clock, limit: 5000 });
    scatterMs.push(performance.now() - t0);
  }
  report("queryScatter(), 5,000 points of 1,000 machines", `${median(scatterMs).toFixed(1)} ms`);

  store.checkpoint();
  const bytes = await dbBytes(dir);
  report(
    "bytes on disk per sample (1,000 machines, 90 s)",
    `${Math.round(bytes / n)} B`,
    "includes rollups, open-minute overhead of a short run",
  );

  // Retention: everything older than the last 30 s of raw rows expires (60,000 rows), deleted
  // by retainInSlices in slices of 5,000 rows with the event loop running in between.
  const sliceMs: number[] = [];
  const timed = {
    applyRetention(now: number, maxRows?: number) {
      const t0 = performance.now();
      const n = store.applyRetention(now, maxRows);
      sliceMs.push(performance.now() - t0);
      return n;
    },
  };
  const t0 = performance.now();
  const deleted = await retainInSlices(timed, T0 + (SECONDS - 30) * 1000 + RETENTION.raw);
  const total = performance.now() - t0;
  report(
    "retention pass (retainInSlices, 5,000-row slices)",
    `${Math.max(...sliceMs).toFixed(0)} ms longest slice`,
    `${deleted.toLocaleString("en")} rows in ${sliceMs.length} slices, ${total.toFixed(0)} ms ` +
      `in all, ${Math.round(deleted / (total / 1000)).toLocaleString("en")} rows/s`,
  );
  store.close();
  await Deno.remove(dir, { recursive: true });
}

/** One machine, 24 h at 1 s (86,400 samples), then the 24 h series query. */
async function oneMachineDay() {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_bench_" });
  let clock = T0;
  const store = openStore({ path: `${dir}/gridmon.db`, retention: RETENTION, now: () => clock });
  store.registerMachine(machineInfo("one"), T0);
  const rand = rng(3);
  const perWrite = 100;
  for (let s = 0; s < 86_400; s += perWrite) {
    const batch: IngestRow[] = [];
    for (let k = s; k < s + perWrite && k < 86_400; k++) {
      const sample = realisticSample(
        "one",
        T0 + k * 1000,
        k,
        { cores: 8, disks: 2, ifaces: 2 },
        rand,
      );
      batch.push({
        machineId: "one",
        sample,
        receivedAt: sample.ts + 20,
        verdict: { score: rand(), anomalous: false, reason: null },
      });
    }
    clock = batch[batch.length - 1].receivedAt;
    store.write(batch);
  }
  store.checkpoint();
  const bytes = await dbBytes(dir);
  report(
    "bytes on disk per sample (1 machine, 24 h at 1 s)",
    `${Math.round(bytes / 86_400)} B`,
    "8 cores, 2 disks, 2 NICs, 2 filesystems (~75 values); raw + minute + hour rollups",
  );
  const to = T0 + DAY - 1;
  const from = to - DAY;
  for (const tier of [undefined, "raw"] as const) {
    const times: number[] = [];
    let resultTier = "";
    let buckets = 0;
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const r = store.querySeries("one", { from, to, points: 1000, tier });
      times.push(performance.now() - t0);
      resultTier = r.tier;
      buckets = r.t.length;
    }
    report(
      `24 h series of one machine, 1,000 points${tier ? " (raw tier forced)" : ""}`,
      `${median(times).toFixed(1)} ms`,
      `tier ${resultTier}, ${buckets} buckets, all metrics; first ${times[0].toFixed(1)} ms, p95 ${
        p95(times).toFixed(1)
      } ms`,
    );
  }
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    store.querySeries("one", { from, to, points: 1000, tier: "raw", metrics: ["cpu.usage"] });
    times.push(performance.now() - t0);
  }
  report("24 h raw tier, metrics=cpu.usage", `${median(times).toFixed(1)} ms`);
  store.close();
  await Deno.remove(dir, { recursive: true });
}

/**
 * Process scans (issue 14): one simulated web machine, 6 h at 1 s with a scan every 5 s; bytes
 * the process tables take per scan (SQLite's dbstat), and the process queries.
 */
async function processScans() {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_bench_" });
  let clock = T0;
  const store = openStore({ path: `${dir}/gridmon.db`, retention: RETENTION, now: () => clock });
  const model = createMachineModel("bench", 0);
  const id = model.profile.machineId;
  store.registerMachine(machineInfo(id), T0);
  const seconds = 6 * 3600;
  let scans = 0;
  let listed = 0;
  for (let s = 0; s < seconds; s += 100) {
    const batch: IngestRow[] = [];
    for (let k = s; k < s + 100; k++) {
      const sample = model.sampleAt(T0 + k * 1000, k);
      if (sample.processes) {
        scans++;
        listed += sample.processes.top.length;
      }
      batch.push({ machineId: id, sample, receivedAt: sample.ts + 20 });
    }
    clock = batch[batch.length - 1].receivedAt;
    store.write(batch);
  }
  store.checkpoint();
  store.close();
  const db = new DatabaseSync(`${dir}/gridmon.db`, { readOnly: true });
  const tables = ["process_scans", "process_minute", "process_hour", "process_names"];
  let bytes = 0;
  for (const name of tables) {
    bytes += (db.prepare("SELECT sum(pgsize) AS b FROM dbstat WHERE name = ?").get(name) as {
      b: number | null;
    }).b ?? 0;
  }
  db.close();
  report(
    "bytes on disk per process scan (1 machine, 6 h, a scan every 5 s)",
    `${Math.round(bytes / scans)} B`,
    `${(listed / scans).toFixed(1)} processes per scan (the simulator's ${model.profile.role} ` +
      `machine); scans + minute + hour rollups + names; ${Math.round(bytes / seconds)} B per ` +
      `second of the machine`,
  );
  const again = openStore({ path: `${dir}/gridmon.db`, retention: RETENTION, now: () => clock });
  const time = (fn: () => unknown) => {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
    return `${median(times).toFixed(2)} ms`;
  };
  report("what ran at T (raw scan)", time(() => again.processesAt(id, T0 + 3 * 3600_000 + 1234)));
  const { pid, name } = again.latestProcesses(id)!.top[0];
  report(
    "one process over 6 h, 1,000 points (raw scans)",
    time(() => again.processHistory(id, { from: T0, to: T0 + seconds * 1000, points: 1000, pid })),
  );
  report(
    `one name (${name}) over 6 h (minute rollups forced)`,
    time(() =>
      again.processHistory(
        id,
        { from: T0, to: T0 + seconds * 1000, points: 360, name },
        "minute",
      )
    ),
  );
  again.close();
  await Deno.remove(dir, { recursive: true });
}

await oneMachineDay();
await processScans();
await fleetIngest();
const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`store benchmark (${navigator.hardwareConcurrency} CPUs, load average ${load})\n`);
console.log("| metric | value | notes |");
console.log("|---|---|---|");
for (const [m, v, n] of rows) console.log(`| ${m} | ${v} | ${n} |`);
