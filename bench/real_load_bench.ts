/**
 * The streaming detector on this machine's own samples under real load (opt-in: about 20
 * minutes; run it when the machine is quiet, and say whether it was).
 *
 * `gridmon worker --print` samples this host every second and the master's per-machine detector
 * (MachineDetector, the master's code path) judges each sample. Protocol (issue 10):
 * 1. a 10-minute warm-up that itself holds 2 minutes of heavy CPU (stress-ng --cpu 2, from
 *    minute 4 to 6), so a busy warm-up must not make saturation "normal";
 * 2. stress-ng --cpu 2, --vm 1 (4 GiB held) and --hdd 1, 60 s each, with 2-minute quiet gaps.
 * For each stress: detected or not, seconds from its start to the event, the cause named first.
 * Events that open in a quiet gap (or after the warm-up's own burst) are counted apart.
 *
 * Runs only with GRIDMON_BENCH_REAL_LOAD=1 (`deno task bench` runs every bench).
 * Knobs: GRIDMON_BENCH_WARMUP_S (default 600), GRIDMON_BENCH_STRESS_S (60), GRIDMON_BENCH_GAP_S
 * (120), GRIDMON_BENCH_VM_BYTES (4G).
 */
import { MachineDetector } from "../src/detect/machine_detector.ts";

if (Deno.env.get("GRIDMON_BENCH_REAL_LOAD") !== "1") {
  console.log("Real load with stress-ng: skipped (set GRIDMON_BENCH_REAL_LOAD=1, ~20 minutes).");
  Deno.exit(0);
}

const WARMUP_S = Number(Deno.env.get("GRIDMON_BENCH_WARMUP_S") ?? 600);
const STRESS_S = Number(Deno.env.get("GRIDMON_BENCH_STRESS_S") ?? 60);
const GAP_S = Number(Deno.env.get("GRIDMON_BENCH_GAP_S") ?? 120);
const VM_BYTES = Deno.env.get("GRIDMON_BENCH_VM_BYTES") ?? "4G";
/** Detection within this many seconds of a stress's start counts (the issue's target). */
const TARGET_S = 10;

interface Opened {
  start: number;
  ts: number;
  reason: string;
}

const loadAverage = async () =>
  (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stressNg(args: string[], seconds: number): Promise<{ start: number; end: number }> {
  const start = Date.now();
  const { code } = await new Deno.Command("stress-ng", {
    args: [...args, "--timeout", `${seconds}s`, "--quiet"],
    stdout: "null",
    stderr: "null",
  }).output();
  if (code !== 0) throw new Error(`stress-ng ${args.join(" ")} exited with ${code}`);
  return { start, end: Date.now() };
}

const main = new URL("../main.ts", import.meta.url).pathname;
const worker = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-all", main, "worker", "--print", "--interval", "1s"],
  stdout: "piped",
  stderr: "null",
}).spawn();
const detector = new MachineDetector("local", { intervalMs: 1000 });
const opened: Opened[] = [];
let samples = 0;
const reading = (async () => {
  let buffer = "";
  for await (const chunk of worker.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim() === "") continue;
      const { transition } = detector.observe(JSON.parse(line));
      samples++;
      if (transition?.kind === "opened") {
        const { start, reason } = transition.event;
        opened.push({ start, ts: Date.now(), reason });
      }
    }
  }
})();

const loadBefore = await loadAverage();
const began = Date.now();
const burstAt = Math.round(WARMUP_S * 0.4);
await sleep(burstAt * 1000);
const burst = await stressNg(["--cpu", "2"], Math.round(WARMUP_S / 5));
await sleep(Math.max(0, began + WARMUP_S * 1000 - Date.now()));
const stresses: [string, string, string[]][] = [
  ["cpu", "cpu.usage", ["--cpu", "2"]],
  ["vm", "mem.usedPct", ["--vm", "1", "--vm-bytes", VM_BYTES, "--vm-keep"]],
  ["hdd", "disk.", ["--hdd", "1", "--hdd-bytes", "1G", "--temp-path", "/tmp"]],
];
const windows: { kind: string; expected: string; start: number; end: number }[] = [];
for (const [kind, expected, args] of stresses) {
  await sleep(GAP_S * 1000);
  windows.push({ kind, expected, ...(await stressNg(args, STRESS_S)) });
}
await sleep(GAP_S * 1000);
worker.kill("SIGTERM");
await reading.catch(() => {});

console.log(
  `Real load on this machine: ${samples} samples from gridmon worker --print at 1 s; ` +
    `load average before ${loadBefore}, after ${await loadAverage()} (2 cores)\n`,
);
console.log(
  `Warm-up ${WARMUP_S} s with stress-ng --cpu 2 from ${burstAt} s for ${
    Math.round((burst.end - burst.start) / 1000)
  } s; then each stress ${STRESS_S} s after a ${GAP_S} s quiet gap.\n`,
);
console.log(
  "| stress-ng | detected | within 10 s | time to detect s | named first | right metric |",
);
console.log("|---|---|---|---:|---|---|");
for (const w of windows) {
  const hit = opened.find((e) => e.start >= w.start - 2000 && e.start < w.end);
  const seconds = hit ? Math.max(0, (hit.start - w.start) / 1000) : NaN;
  console.log(
    `| ${w.kind} | ${hit ? "yes" : "no"} | ${seconds <= TARGET_S ? "yes" : "no"} | ${
      hit ? seconds.toFixed(0) : "-"
    } | ${hit?.reason ?? "-"} | ${hit?.reason.startsWith(w.expected) ? "yes" : "no"} |`,
  );
}
const inBurst = opened.filter((e) => e.start >= burst.start - 2000 && e.start < burst.end);
const stray = opened.filter((e) =>
  e.start >= began + WARMUP_S * 1000 &&
  !windows.some((w) => e.start >= w.start - 2000 && e.start < w.end + 10_000)
);
console.log(
  `\nEvents during the warm-up's CPU burst: ${inBurst.length}; in the quiet gaps after the ` +
    `warm-up: ${stray.length}${
      stray.length ? ` (${stray.map((e) => e.reason).join(", ")})` : ""
    }; all events: ${opened.length}.`,
);
