/**
 * Memory the master holds per machine detector, and the cost of `observe()`.
 *
 * N MachineDetectors (default 200 and 1,000; GRIDMON_BENCH_DETECTORS=200,1000) are warm-started
 * through their own path (`warmStart`) with `historyWanted` samples of a simulated machine
 * (src/simulate/machine_model.ts; 20 distinct machines, reused round-robin, each detector with
 * its own seed), so every window is full and a forest is fitted. Then each observes 600 live
 * samples: two stepped refits each, and at the end some still in flight, as in steady state.
 * Bytes per detector = (V8 heap used + external/array buffers after, minus before) / N,
 * measured after forced GCs: the bench re-runs itself with `--v8-flags=--expose-gc`.
 * observe() µs is wall time per call over the live phase, refit steps included.
 */
import { MachineDetector } from "../src/detect/machine_detector.ts";
import { createMachineModel } from "../src/simulate/machine_model.ts";
import type { Sample } from "../src/protocol/sample.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== "function") {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}

const COUNTS = (Deno.env.get("GRIDMON_BENCH_DETECTORS") ?? "200,1000").split(",").map(Number);
const PROFILES = 20;
const LIVE = 600;
const START = Date.UTC(2026, 0, 5, 6, 0, 0);

function used(): number {
  for (let i = 0; i < 4; i++) gc!();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

const wanted = new MachineDetector("probe", { intervalMs: 1000 }).historyWanted;
const histories: Sample[][] = [];
const live: Sample[][] = [];
for (let p = 0; p < PROFILES; p++) {
  const model = createMachineModel("memory", p);
  const h: Sample[] = [];
  for (let i = 0; i < wanted; i++) h.push(model.sampleAt(START + i * 1000, i));
  histories.push(h);
  const l: Sample[] = [];
  for (let i = 0; i < LIVE; i++) l.push(model.sampleAt(START + (wanted + i) * 1000, wanted + i));
  live.push(l);
}

console.log(`window fill: ${wanted} samples per detector (warm start), then ${LIVE} observed\n`);
console.log(
  "| detectors | bytes/detector (warm) | bytes/detector (after live) | window + forest | " +
    "observe() µs |",
);
console.log("|---:|---:|---:|---:|---:|");
for (const n of COUNTS) {
  const before = used();
  const detectors: MachineDetector[] = [];
  for (let d = 0; d < n; d++) {
    const detector = new MachineDetector(`m${d}`, { intervalMs: 1000, seed: d + 1 });
    detector.warmStart(histories[d % PROFILES]);
    detectors.push(detector);
  }
  const warm = (used() - before) / n;
  const t0 = performance.now();
  for (let i = 0; i < LIVE; i++) {
    for (let d = 0; d < n; d++) detectors[d].observe(live[d % PROFILES][i]);
  }
  const perObserve = ((performance.now() - t0) * 1000) / (n * LIVE);
  const after = (used() - before) / n;
  // Window + forest as the detector counts them (older detectors did not: "-").
  const own = detectors.map((d) => (d.detector as { byteLength?: number }).byteLength ?? NaN);
  const ownMean = own.reduce((a, b) => a + b, 0) / n;
  console.log(
    `| ${n} | ${Math.round(warm).toLocaleString("en")} | ${
      Math.round(after).toLocaleString("en")
    } | ${Number.isNaN(ownMean) ? "-" : Math.round(ownMean).toLocaleString("en")} | ${
      perObserve.toFixed(1)
    } |`,
  );
  detectors.length = 0;
}
