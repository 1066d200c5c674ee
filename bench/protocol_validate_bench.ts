/**
 * Frame validation on the master's ingest path: samples per second through JSON.parse plus
 * zod (WorkerFrameSchema) and through parseWorkerFrame (JSON.parse plus the checks ajv generated
 * from WorkerFrameSchema, frame_checks.generated.js), for realistic 100- and 500-sample frames from the simulator's
 * machine models. JSON.parse alone is the floor; "unknown key" frames have the key removed.
 *
 * GRIDMON_BENCH_SECONDS_PER_CASE (default 1) sets the measuring time of each of 5 rounds.
 */
import { WorkerFrameSchema } from "../src/protocol/messages.ts";
import { parseWorkerFrame, validateFrame } from "../src/protocol/validate.ts";
import { createMachineModel } from "../src/simulate/machine_model.ts";

const SECONDS = Number(Deno.env.get("GRIDMON_BENCH_SECONDS_PER_CASE") ?? 1);
const ROUNDS = 5;
const MACHINES = 8;

/** One text frame per machine: `size` consecutive samples, as a back-filling worker sends. */
function frames(size: number, extraKey: boolean): string[] {
  return Array.from({ length: MACHINES }, (_, m) => {
    const model = createMachineModel("bench-validate", m);
    const start = Date.UTC(2026, 0, 1);
    const samples = Array.from({ length: size }, (_, i) => model.sampleAt(start + i * 1000, i));
    if (extraKey) Object.assign(samples[0], { agentExtra: "x" });
    return JSON.stringify({ type: "samples", v: 1, samples });
  });
}

/** Median samples per second of `fn` over the frames, in ROUNDS rounds of SECONDS each. */
function measure(texts: string[], size: number, fn: (text: string) => boolean): number {
  for (let i = 0; i < 20; i++) if (!fn(texts[i % texts.length])) throw new Error("refused");
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < SECONDS * 1000) {
      fn(texts[n % texts.length]);
      n++;
      elapsed = performance.now() - start;
    }
    rates.push((n * size) / (elapsed / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(ROUNDS / 2)];
}

const paths: [string, (text: string) => boolean][] = [
  ["JSON.parse only (floor)", (t) => typeof JSON.parse(t) === "object"],
  ["JSON.parse + zod WorkerFrameSchema", (t) => validateFrame(JSON.parse(t), WorkerFrameSchema).ok],
  ["parseWorkerFrame (JSON.parse + generated)", (t) => parseWorkerFrame(t).ok],
];

const rows: string[] = [];
for (const size of [100, 500]) {
  for (const extraKey of [false, true]) {
    const texts = frames(size, extraKey);
    const kb = texts.reduce((sum, t) => sum + t.length, 0) / texts.length / 1024;
    const rates = new Map<string, number>();
    for (const [name, fn] of paths) {
      if (extraKey && name.startsWith("JSON.parse only")) continue;
      rates.set(name, measure(texts, size, fn));
    }
    const zod = rates.get(paths[1][0])!;
    const frame = `${size} samples (${kb.toFixed(0)} KB)${extraKey ? ", one unknown key" : ""}`;
    for (const [name, rate] of rates) {
      const vsZod = `${(rate / zod).toFixed(1)}×`;
      rows.push(`| ${frame} | ${name} | ${Math.round(rate).toLocaleString("en-US")} | ${vsZod} |`);
    }
  }
}

console.log(`Median of ${ROUNDS} rounds of ${SECONDS} s, ${MACHINES} simulated machines.\n`);
console.log("| frame | path | samples/s | vs zod |");
console.log("|---|---|---:|---:|");
for (const row of rows) console.log(row);
