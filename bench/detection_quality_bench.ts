/**
 * Detection quality of the streaming detector on the fleet simulator's machines
 * (src/simulate/machine_model.ts: daily cycle, noise, CPU bursts; faults from faults.ts).
 *
 * 1. Faults: per machine, one hour of normal history, then a CPU saturation, a memory leak, a
 *    disk write burst and a network flood, 30 minutes apart, each 5 minutes long. An opened
 *    event that starts inside a fault (or up to 2 minutes after it, for after-effects) is a
 *    hit; any other opened event is a false one. Recall, precision, time to detect per kind.
 * 2. False alarms: a whole simulated day (86,400 one-second samples, time-compressed: run as
 *    fast as the CPU goes) of normal traffic per machine; events per machine per day.
 * 3. Cost: CPU time per observed sample (refit steps included) and of a whole refit.
 *
 * Real load from stress-ng on this machine: bench/real_load_bench.ts.
 *
 * Knobs: GRIDMON_BENCH_MACHINES (default 12), GRIDMON_BENCH_DAY_MACHINES (default 6).
 */
import process from "node:process";
import { MachineDetector } from "../src/detect/machine_detector.ts";
import type { Fault, FaultKind } from "../src/simulate/faults.ts";
import { createMachineModel } from "../src/simulate/machine_model.ts";
import { faultProcess } from "../src/simulate/process_model.ts";

const MACHINES = Number(Deno.env.get("GRIDMON_BENCH_MACHINES") ?? 12);
const DAY_MACHINES = Number(Deno.env.get("GRIDMON_BENCH_DAY_MACHINES") ?? 6);
const START = Date.UTC(2026, 0, 5, 6, 0, 0);
const KINDS: readonly FaultKind[] = ["cpu", "memleak", "disk", "net"];
const HISTORY_S = 3600;
const GAP_S = 1800;
const LENGTH_S = 300;
const AFTER_S = 120;
const TARGET_S = 10;
/** The metric family an event on each fault should name first. */
const FAMILY: Record<FaultKind, string> = {
  cpu: "cpu.",
  memleak: "mem.",
  disk: "disk.",
  net: "net.",
};
const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

interface KindStats {
  faults: number;
  detected: number;
  within: number;
  withinMinute: number;
  /** Events whose first cause is the fault's own metric family. */
  named: number;
  delays: number[];
}

const perKind = new Map<FaultKind, KindStats>(
  KINDS.map((
    k,
  ) => [k, { faults: 0, detected: 0, within: 0, withinMinute: 0, named: 0, delays: [] }]),
);
let falseEventsInFaultRuns = 0;
let hitEvents = 0;

for (let m = 0; m < MACHINES; m++) {
  const probe = createMachineModel("quality", m);
  const faults: Fault[] = KINDS.map((kind, i) => ({
    kind,
    machineId: probe.profile.machineId,
    name: probe.profile.name,
    process: faultProcess(kind, probe.profile.role),
    start: START + (HISTORY_S + i * GAP_S) * 1000,
    end: START + (HISTORY_S + i * GAP_S + LENGTH_S) * 1000,
  }));
  const model = createMachineModel("quality", m, { faults });
  const detector = new MachineDetector(probe.profile.machineId, { intervalMs: 1000, seed: m + 1 });
  const firstOpen = new Map<Fault, number>();
  const firstReason = new Map<Fault, string>();
  const total = HISTORY_S + KINDS.length * GAP_S;
  for (let s = 0; s < total; s++) {
    const ts = START + s * 1000;
    const sample = model.sampleAt(ts, s);
    const { transition } = detector.observe(sample);
    if (transition?.kind !== "opened") continue;
    const fault = faults.find((f) =>
      transition.event.start >= f.start && transition.event.start < f.end + AFTER_S * 1000
    );
    if (!fault) {
      falseEventsInFaultRuns++;
      continue;
    }
    hitEvents++;
    if (!firstOpen.has(fault) && ts < fault.end) {
      firstOpen.set(fault, ts);
      firstReason.set(fault, transition.event.reason);
    }
  }
  for (const fault of faults) {
    const stats = perKind.get(fault.kind)!;
    stats.faults++;
    const opened = firstOpen.get(fault);
    if (opened === undefined) continue;
    const delay = (opened - fault.start) / 1000;
    stats.detected++;
    stats.delays.push(delay);
    if (delay <= TARGET_S) stats.within++;
    if (delay <= 60) stats.withinMinute++;
    if (firstReason.get(fault)!.startsWith(FAMILY[fault.kind])) stats.named++;
  }
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const precision = hitEvents / Math.max(1, hitEvents + falseEventsInFaultRuns);
console.log(
  `Load average ${load} (2 cores). ` +
    `Faults: ${MACHINES} simulated machines, ${LENGTH_S} s per fault, 1 s samples. ` +
    `Precision over all opened events: ${precision.toFixed(3)} ` +
    `(${hitEvents} on a fault, ${falseEventsInFaultRuns} elsewhere).\n`,
);
console.log(
  `| fault | injected | recall | within ${TARGET_S} s | within 60 s | median time to detect s | max s | right metric named first |`,
);
console.log("|---|---|---|---|---|---|---|---|");
for (const [kind, s] of perKind) {
  console.log(
    `| ${kind} | ${s.faults} | ${(s.detected / s.faults).toFixed(3)} | ${
      (s.within / s.faults).toFixed(3)
    } | ${(s.withinMinute / s.faults).toFixed(3)} | ${median(s.delays)} | ${
      s.delays.length ? Math.max(...s.delays) : "-"
    } | ${s.detected ? (s.named / s.detected).toFixed(3) : "-"} |`,
  );
}

// A day of normal traffic per machine.
const DAY_S = 86_400;
let dayEvents = 0;
let anomalousSamples = 0;
const callCpu: number[] = [];
const firstFitCpu: number[] = [];
const wholeRefitCpu: number[] = [];
let windowRows = 0;
const detectorBytes: number[] = [];
for (let m = 0; m < DAY_MACHINES; m++) {
  const model = createMachineModel("quiet-day", m);
  const detector = new MachineDetector(model.profile.machineId, { intervalMs: 1000, seed: m + 1 });
  for (let s = 0; s < DAY_S; s++) {
    const sample = model.sampleAt(START + s * 1000, s);
    const before = detector.detector.warm;
    const t0 = cpuMs();
    const { verdict, transition } = detector.observe(sample);
    const dt = cpuMs() - t0;
    if (!before && detector.detector.warm) firstFitCpu.push(dt);
    else callCpu.push(dt);
    if (verdict.anomalous) anomalousSamples++;
    if (transition?.kind === "opened") dayEvents++;
  }
  windowRows = detector.detector.windowSize;
  detectorBytes.push(detector.detector.byteLength);
  for (let k = 0; k < 5; k++) {
    const t0 = cpuMs();
    detector.detector.refit();
    wholeRefitCpu.push(cpuMs() - t0);
  }
}
console.log(
  `\nFalse alarms: ${DAY_MACHINES} machines × one simulated day of normal traffic: ` +
    `${dayEvents} events = ${(dayEvents / DAY_MACHINES).toFixed(2)} per machine per day ` +
    `(target ≤ 1); ${anomalousSamples} single anomalous samples ` +
    `(${((100 * anomalousSamples) / (DAY_MACHINES * DAY_S)).toFixed(3)}%).`,
);
if (callCpu.length > 0) printCost();

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function printCost(): void {
  callCpu.sort((a, b) => a - b);
  const pct = (q: number) => callCpu[Math.min(callCpu.length - 1, Math.floor(q * callCpu.length))];
  console.log(
    `\nCost (CPU time of this process, so other load on the machine does not count): ` +
      `observe() per sample p50 ${(pct(0.5) * 1000).toFixed(0)} µs, p99 ${
        (pct(0.99) * 1000).toFixed(0)
      } µs, max ${callCpu.at(-1)!.toFixed(2)} ms, mean ${
        ((callCpu.reduce((a, b) => a + b, 0) / callCpu.length) * 1000).toFixed(0)
      } µs (refits run in steps inside these calls). ` +
      `A whole refit at once (${
        windowRows.toLocaleString("en")
      }-row window, 100 trees × 256, 1,024 calibration rows): median ${
        median(wholeRefitCpu).toFixed(1)
      } ms; the first fit after warm-up (120 rows, at once) median ${
        median(firstFitCpu).toFixed(1)
      } ms. Window + forest per detector at the end of the day: median ${
        Math.round(median(detectorBytes)).toLocaleString("en")
      } bytes (bench/detector_memory_bench.ts measures the whole heap).`,
  );
}
