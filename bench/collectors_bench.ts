/**
 * Time per collector and per whole `sampler.read()` on this machine, plus the CPU time the
 * reads cost (from /proc/self/stat), for the worker's footprint target (0.2 % of one core at
 * 1 s means at most 2 ms of CPU per sample).
 */
import { DEFAULT_NET_EXCLUDE } from "../src/cli/worker_args.ts";
import { createFailureLog } from "../src/worker/collectors/failure_log.ts";
import { FILESYSTEM_REFRESH_MS } from "../src/worker/collectors/filesystems.ts";
import { PROCESS_COUNT_REFRESH_MS } from "../src/worker/collectors/load.ts";
import { HWMON_RESCAN_MS } from "../src/worker/collectors/temperatures.ts";
import { linuxCollectors } from "../src/worker/sampler.ts";
import { defaultProcessConfig } from "../src/cli/process_args.ts";
import { createProcfsTable } from "../src/worker/collectors/processes.ts";
import { createSampler } from "../src/worker/sampler.ts";
import type { SamplerOptions } from "../src/worker/sampler_types.ts";

const ROUNDS = 300;

function cpuMs(): number {
  // utime and stime are fields 14 and 15, after the parenthesised command name.
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function measure(fn: () => Promise<unknown>) {
  await fn();
  const times: number[] = [];
  const cpuBefore = cpuMs();
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  const cpuPerCall = (cpuMs() - cpuBefore) / ROUNDS;
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { mean, p50: percentile(times, 0.5), p95: percentile(times, 0.95), cpuPerCall };
}

if (Deno.build.os !== "linux") {
  console.log("collectors bench: Linux only (reads /proc)");
  Deno.exit(0);
}
const stateDir = await Deno.makeTempDir();
const options: SamplerOptions = {
  procRoot: "/proc",
  sysRoot: "/sys",
  netExclude: new RegExp(DEFAULT_NET_EXCLUDE),
  stateDir,
  log: () => {},
};
const rows: string[] = [];
const row = (name: string, r: Awaited<ReturnType<typeof measure>>) =>
  rows.push(
    `| ${name} | ${r.mean.toFixed(3)} | ${r.p50.toFixed(3)} | ${r.p95.toFixed(3)} | ${
      r.cpuPerCall.toFixed(3)
    } |`,
  );
for (const collector of linuxCollectors(options, createFailureLog(() => {}))) {
  row(collector.name, await measure(async () => await collector.collect()));
}
const sampler = createSampler(options);
const whole = await measure(() => sampler.read());
row("**sampler.read()**", whole);
// The process collector (default on) reads every process once per --process-interval (5 s):
// one whole scan per call here, back to back.
const processes = defaultProcessConfig(1000);
const table = createProcfsTable({ procRoot: "/proc", ...processes, sampleIntervalMs: 1000 });
const scan = await measure(() => Promise.resolve(table.scan()));
const processCount = table.scan().total;
row(`process scan (${processCount} processes; one per ${processes.intervalMs / 1000} s)`, scan);
await Deno.remove(stateDir, { recursive: true });

console.log(
  `${ROUNDS} rounds each, wall time in ms; CPU ms per call from /proc/self/stat (10 ms ticks). ` +
    `processes, filesystems and temperatures list /proc, statfs and list hwmon sensors only every ` +
    `${PROCESS_COUNT_REFRESH_MS / 1000}, ${FILESYSTEM_REFRESH_MS / 1000} and ` +
    `${HWMON_RESCAN_MS / 1000} s, as in these rounds.\n`,
);
console.log("| collector | mean ms | p50 ms | p95 ms | CPU ms/call |");
console.log("|---|---|---|---|---|");
for (const line of rows) console.log(line);
console.log(
  `\nAt 1 sample/s, sampler.read() costs about ${
    (whole.cpuPerCall / 10).toFixed(3)
  } % of one core; a process scan every ${processes.intervalMs / 1000} s adds about ${
    (scan.cpuPerCall / (processes.intervalMs / 100)).toFixed(3)
  } % (back-to-back scans find fewer processes that ran, and read fewer io files, than scans 5 s apart).`,
);
