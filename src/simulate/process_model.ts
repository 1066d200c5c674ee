/**
 * Simulated process tables: each role runs its usual processes (nginx and node on a web
 * machine, postgres on a db machine, a Python job on a batch machine, plus sshd, cron, journald
 * and systemd), sharing the machine's CPU, memory and disk I/O by fixed weights with some noise.
 * Every fault is caused by a named process (`faultProcess`), which takes what the fault adds to
 * the machine: a CPU fault's CPU, a leak's memory, a burst's disk writes. Pids and start times
 * follow the machine's boots; a fault's process starts with the fault.
 */
import type { ProcessCounts, ProcessEntry, ProcessReport } from "../protocol/processes.ts";
import type { Sample } from "../protocol/sample.ts";
import type { Fault, FaultKind } from "./faults.ts";
import type { MachineProfile, MachineRole } from "./machine_model.ts";
import { hashString, unitAt } from "./random.ts";

/** How often the simulated workers scan processes, as a real worker does by default. */
export const SIM_PROCESS_INTERVAL_MS = 5_000;

interface ProcessSpec {
  name: string;
  /** Instances (worker processes). */
  count: number;
  /** Share of the machine's busy CPU, memory in use and disk I/O. */
  cpu: number;
  mem: number;
  io: number;
  threads: number;
}

const COMMON: ProcessSpec[] = [
  { name: "systemd", count: 1, cpu: 0.005, mem: 0.004, io: 0, threads: 1 },
  { name: "systemd-journal", count: 1, cpu: 0.01, mem: 0.01, io: 0.03, threads: 1 },
  { name: "sshd", count: 1, cpu: 0.002, mem: 0.002, io: 0, threads: 1 },
  { name: "cron", count: 1, cpu: 0.001, mem: 0.001, io: 0, threads: 1 },
  { name: "gridmon", count: 1, cpu: 0.004, mem: 0.01, io: 0.001, threads: 5 },
];

/** Each role's own processes (the common ones come after them). */
export const ROLE_PROCESSES: Readonly<Record<MachineRole, ProcessSpec[]>> = {
  web: [
    { name: "nginx", count: 4, cpu: 0.35, mem: 0.08, io: 0.25, threads: 1 },
    { name: "node", count: 2, cpu: 0.5, mem: 0.6, io: 0.2, threads: 11 },
    { name: "redis-server", count: 1, cpu: 0.08, mem: 0.15, io: 0.1, threads: 5 },
  ],
  db: [
    { name: "postgres", count: 8, cpu: 0.85, mem: 0.85, io: 0.9, threads: 1 },
    { name: "pgbouncer", count: 1, cpu: 0.05, mem: 0.01, io: 0, threads: 1 },
  ],
  batch: [
    { name: "python3", count: 3, cpu: 0.7, mem: 0.55, io: 0.6, threads: 4 },
    { name: "java", count: 1, cpu: 0.2, mem: 0.35, io: 0.3, threads: 48 },
  ],
};

/** The process behind each fault kind, per role. */
const CULPRITS: Readonly<Record<FaultKind, Record<MachineRole, string>>> = {
  cpu: { web: "ffmpeg", db: "postgres", batch: "python3" },
  memleak: { web: "node", db: "java", batch: "java" },
  disk: { web: "rsync", db: "pg_dump", batch: "tar" },
  net: { web: "rclone", db: "rclone", batch: "rclone" },
};

/** The name of the process that causes a fault of `kind` on a machine of `role`. */
export function faultProcess(kind: FaultKind, role: MachineRole): string {
  return CULPRITS[kind][role];
}

/** The pid a fault's process runs as (above the machine's own processes). */
export function faultPid(fault: Fault): number {
  return 20_000 + (hashString(`${fault.kind}/${fault.start}`) % 10_000);
}

/** Whether the sample at `ts` is right after a scan (the first sample of each 5 s slot). */
export function isScanSample(ts: number, intervalMs: number): boolean {
  return Math.floor(ts / SIM_PROCESS_INTERVAL_MS) !==
    Math.floor((ts - intervalMs) / SIM_PROCESS_INTERVAL_MS);
}

/** The machine's figures before faults, which its usual processes share. */
export interface Baseline {
  /** Busy CPU in percent of one core (all cores together). */
  cpuCores: number;
  memUsed: number;
  readBps: number;
  writeBps: number;
}

/** The baseline of a sample (call it before the faults are applied). */
export function baselineOf(sample: Sample, cores: number): Baseline {
  let readBps = 0;
  let writeBps = 0;
  for (const disk of sample.disks ?? []) {
    readBps += disk.readBps ?? 0;
    writeBps += disk.writeBps ?? 0;
  }
  return {
    cpuCores: (sample.cpu?.usage ?? 0) * cores,
    memUsed: sample.mem?.used ?? 0,
    readBps,
    writeBps,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** The boot the machine is in at `ts` (its processes' pids and start times follow it). */
function bootAt(profile: MachineProfile, ts: number): number {
  const period = profile.rebootPeriodMs;
  return ts - ((((ts - profile.bootTs) % period) + period) % period);
}

/**
 * The process report of a scan at `ts`: the usual processes sized from `base`, and the process
 * of each active fault with what the fault added (`after` minus `base`).
 */
export function processReport(
  profile: MachineProfile,
  ts: number,
  base: Baseline,
  after: Baseline,
  faults: readonly Fault[],
): ProcessReport {
  const boot = bootAt(profile, ts);
  const specs = [...ROLE_PROCESSES[profile.role], ...COMMON];
  // Each process's share with noise, scaled so the shares add up: the table's CPU is 95 % of
  // the machine's busy time (the rest is kernel threads and interrupts), its memory 85 % of the
  // memory in use, its disk I/O all of the machine's.
  const rows: { spec: ProcessSpec; s: number; i: number; noise: number }[] = [];
  specs.forEach((spec, s) => {
    for (let i = 0; i < spec.count; i++) {
      rows.push({ spec, s, i, noise: 0.6 + 0.8 * unitAt(profile.key, ts, 3000 + s * 16 + i) });
    }
  });
  // Memory moves less than CPU from one scan to the next.
  const memNoise = (noise: number) => 0.9 + 0.1 * noise;
  const total = (f: (spec: ProcessSpec, noise: number) => number) =>
    rows.reduce((sum, r) => sum + f(r.spec, r.noise), 0);
  const sums = {
    cpu: total((p, n) => p.cpu * n),
    mem: total((p, n) => p.mem * memNoise(n)),
    io: total((p, n) => p.io * n),
  };
  const top: ProcessEntry[] = [];
  let pid = 300 + (hashString(`${profile.key}/${boot}`) % 500);
  for (const { spec, s, i, noise } of rows) {
    pid += 1 + (hashString(`${profile.key}/${s}/${i}`) % 40);
    const io = (spec.io * noise) / sums.io;
    top.push({
      pid: spec.name === "systemd" ? 1 : pid,
      name: spec.name,
      state: noise > 1.3 ? "R" : "S",
      cpu: round1((0.95 * base.cpuCores * spec.cpu * noise) / sums.cpu),
      rss: Math.round((0.85 * base.memUsed * spec.mem * memNoise(noise)) / sums.mem),
      readBps: Math.round(base.readBps * io),
      writeBps: Math.round(base.writeBps * io),
      threads: spec.threads,
      start: boot + 5_000 + s * 1_000 + i * 10,
    });
  }
  for (const fault of faults) {
    if (ts < fault.start || ts >= fault.end) continue;
    top.push({
      pid: faultPid(fault),
      name: faultProcess(fault.kind, profile.role),
      state: fault.kind === "disk" ? "D" : "R",
      cpu: round1(Math.max(fault.kind === "cpu" ? 0 : 2, after.cpuCores - base.cpuCores)),
      rss: Math.max(40_000_000, Math.round(after.memUsed - base.memUsed)),
      readBps: Math.round(Math.max(0, after.readBps - base.readBps)),
      writeBps: Math.round(Math.max(0, after.writeBps - base.writeBps)),
      threads: fault.kind === "memleak" ? 64 : 1,
      start: fault.start,
    });
  }
  top.sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0) || b.rss - a.rss || a.pid - b.pid);
  return { spanMs: SIM_PROCESS_INTERVAL_MS, top, ioUnreadable: 0 };
}

/** Counts by state, consistent with the sample's process count, runnable threads and iowait. */
export function processCounts(sample: Sample): ProcessCounts {
  const total = sample.procs ?? 0;
  const running = Math.min(total, sample.procsRunning ?? 1);
  const blocked = Math.min(total - running, Math.round((sample.cpu?.iowait ?? 0) / 10));
  return {
    threads: total * 3,
    running,
    sleeping: total - running - blocked,
    blocked,
    zombie: 0,
    stopped: 0,
    other: 0,
    unreadable: 0,
  };
}
