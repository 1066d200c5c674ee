/** Synthetic samples for detector tests: a steady machine with noise, and faults on top. */
import type { Sample } from "../../src/protocol/sample.ts";
import type { Random } from "../../src/detect/random.ts";

export type TestFault = "cpu" | "memleak" | "disk" | "net" | null;

/** Sample i (1 s apart) of a machine with mild noise; `fault` applies from `faultStart` on. */
export function syntheticSample(
  rng: Random,
  i: number,
  fault: TestFault = null,
  faultStart = Infinity,
  noise = 1,
): Sample {
  const g = () => (rng.nextFloat() - 0.5) * 2 * noise;
  const on = i >= faultStart;
  const since = i - faultStart;
  let cpu = 20 + 5 * g();
  let mem = 40 + 0.3 * g();
  let write = 2e6 * (1 + 0.3 * g());
  let rx = 1e6 * (1 + 0.3 * g());
  if (on && fault === "cpu") cpu = 98 + g();
  if (on && fault === "memleak") mem += 0.5 * since;
  if (on && fault === "disk") write *= 80;
  if (on && fault === "net") rx *= 80;
  return {
    ts: 1_763_700_000_000 + i * 1000,
    seq: i,
    machineId: "m1",
    hostname: "test",
    cpu: { usage: cpu, user: cpu * 0.8, system: cpu * 0.2, iowait: 0.5, cores: [cpu, cpu] },
    mem: {
      total: 8e9,
      used: 8e9 * mem / 100,
      available: 8e9 * (1 - mem / 100),
      usedPct: Math.min(100, mem),
      swapTotal: 0,
      swapUsed: 0,
    },
    load: { "1": (2 * cpu) / 100, "5": 0.4, "15": 0.4 },
    disks: [{
      name: "vda",
      readBps: 1e5,
      writeBps: write,
      readIops: 10,
      writeIops: write / 4096,
      utilPct: on && fault === "disk" ? 95 : 5,
    }],
    net: [{
      iface: "eth0",
      rxBps: rx,
      txBps: 5e5,
      rxPps: rx / 1000,
      txPps: 500,
      rxErrors: 0,
      txErrors: 0,
    }],
  };
}
