/**
 * One simulated machine: a profile drawn once from (seed, prefix, index), and `sampleAt(ts)`, a
 * pure function of the timestamp. Series follow a daily cycle (a cosine of the UTC hour with a
 * per-machine peak and amplitude), noise, and occasional short CPU bursts; the role (web, db,
 * batch) sets the baselines. Injected faults (see faults.ts) are applied on top; every 5 s a
 * sample carries the machine's processes (process_model.ts), with each fault's own process.
 */
import type { Hello } from "../protocol/messages.ts";
import type { Sample } from "../protocol/sample.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { GRIDMON_VERSION } from "../version.ts";
import { applyFault, type Fault } from "./faults.ts";
import { between, createRandom, gaussianAt, hashString, pick, unitAt } from "./random.ts";
import { baselineOf, isScanSample, processCounts, processReport } from "./process_model.ts";

export type MachineRole = "web" | "db" | "batch";

export interface DiskProfile {
  name: string;
  /** Share of the machine's I/O this disk takes. */
  share: number;
  /** Bytes per second at which the device is 100% busy. */
  capacityBps: number;
}

export interface FilesystemProfile {
  mount: string;
  fstype: string;
  device: string;
  size: number;
  /** Used fraction right after the weekly clean-up. */
  baseFraction: number;
  /** Growth of the used fraction per day, reset weekly. */
  growthPerDay: number;
}

/** Everything fixed about one simulated machine. */
export interface MachineProfile {
  index: number;
  /** Hash of (seed, prefix, index); keys every time-varying draw. */
  key: number;
  machineId: string;
  /** Hostname and display name, `<prefix>-0007`. */
  name: string;
  role: MachineRole;
  cores: number;
  memTotal: number;
  swapTotal: number;
  osName: string;
  kernel: string;
  /** Machine boot, in ms; it reboots every `rebootPeriodMs`. */
  bootTs: number;
  rebootPeriodMs: number;
  cpuBase: number;
  cpuAmp: number;
  /** UTC hour at which the daily cycle peaks. */
  peakHour: number;
  cpuNoise: number;
  coreSpread: number;
  /** Chance that a 15-minute slot holds a CPU burst. */
  burstChance: number;
  iowaitBase: number;
  steal: number;
  memBasePct: number;
  memAmpPct: number;
  cacheFraction: number;
  swapBaseFraction: number;
  writeBps: number;
  readRatio: number;
  disks: DiskProfile[];
  iface: string;
  rxBps: number;
  txRatio: number;
  filesystems: FilesystemProfile[];
  procBase: number;
}

export interface MachineModelOptions {
  /** Prefix of machine names (default `sim`). */
  namePrefix?: string;
  /** Faults to inject; those for other machines are ignored. */
  faults?: readonly Fault[];
  /** The sampling interval (default 1 s): the first sample of every 5 s carries a process scan. */
  intervalMs?: number;
}

/** A simulated machine: its profile, its hello frame and its samples. */
export interface MachineModel {
  readonly profile: MachineProfile;
  /** Faults that apply to this machine. */
  readonly faults: readonly Fault[];
  /** The hello frame this machine sends on connect. */
  hello(token: string, intervalMs: number): Hello;
  /** The sample at `ts` (ms), deterministic for the seed; `seq` is copied into it. */
  sampleAt(ts: number, seq?: number): Sample;
}

const GIB = 1024 ** 3;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const BURST_SLOT_MS = 15 * 60_000;
/** Anchor for slow sawtooth series (filesystem growth): 2024-01-01T00:00:00Z. */
const EPOCH_ANCHOR = Date.UTC(2024, 0, 1);

/** Channels of the time-varying draws; each series reads its own. */
export const CH = {
  burst: 1,
  burstOffset: 2,
  burstLength: 3,
  burstSize: 4,
  cpu: 10,
  iowait: 11,
  mem: 12,
  swap: 13,
  read: 20,
  write: 21,
  rx: 30,
  tx: 31,
  netErr: 32,
  procs: 40,
  running: 41,
  fault: 50,
  core: 1000,
} as const;

/** The display name of machine `index`: `sim-0007`. */
export function machineName(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(4, "0")}`;
}

/** The stable machine id of machine `index`: 32 hex digits, like /etc/machine-id. */
export function machineIdFor(seed: string, prefix: string, index: number): string {
  let id = "";
  for (let part = 0; part < 4; part++) {
    id += hashString(`${seed}/${prefix}/${index}/${part}`).toString(16).padStart(8, "0");
  }
  return id;
}

/** Draws the fixed profile of machine `index` for `seed`. */
export function machineProfile(seed: string, index: number, namePrefix = "sim"): MachineProfile {
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(`Machine index must be a whole number >= 0, got ${index}`);
  }
  const key = hashString(`${seed}/${namePrefix}/${index}`);
  const r = createRandom(key);
  const roll = r();
  const role: MachineRole = roll < 0.5 ? "web" : roll < 0.7 ? "db" : "batch";
  const cores = role === "web"
    ? pick(r, [2, 4, 8, 16])
    : role === "db"
    ? pick(r, [8, 16, 32, 64])
    : pick(r, [4, 8, 16, 32, 64]);
  const memGib = Math.min(
    256,
    Math.max(2, cores * pick(r, [1, 2, 4, 8]) * (role === "db" ? 2 : 1)),
  );
  const memTotal = memGib * GIB;
  const swapTotal = r() < 0.3 ? 0 : Math.min(memTotal / 2, 8 * GIB);
  const nvme = r() < 0.7;
  const primary = nvme ? "nvme0n1" : "sda";
  const capacity = nvme ? 1.5e9 : 2.5e8;
  const disks: DiskProfile[] = [{ name: primary, share: 1, capacityBps: capacity }];
  if (role === "db" || r() < 0.2) {
    disks.push({ name: nvme ? "nvme1n1" : "sdb", share: 0.6, capacityBps: capacity });
  }
  const partition = (disk: string, n: number) =>
    `/dev/${disk}${disk.startsWith("nvme") ? "p" : ""}${n}`;
  const dataDevice = disks.length > 1 ? `/dev/${disks[1].name}` : partition(primary, 2);
  const filesystems: FilesystemProfile[] = [
    {
      mount: "/",
      fstype: "ext4",
      device: partition(primary, 1),
      size: Math.round(between(r, 30, 200)) * 1e9,
      baseFraction: between(r, 0.25, 0.6),
      growthPerDay: between(r, 0.002, 0.01),
    },
    {
      mount: "/data",
      fstype: "xfs",
      device: dataDevice,
      size: Math.round(between(r, 200, 4000)) * 1e9,
      baseFraction: between(r, 0.15, 0.7),
      growthPerDay: between(r, 0.003, 0.02),
    },
  ];
  const rebootPeriodMs = Math.round(between(r, 30, 120)) * DAY_MS;
  return {
    index,
    key,
    machineId: machineIdFor(seed, namePrefix, index),
    name: machineName(namePrefix, index),
    role,
    cores,
    memTotal,
    swapTotal,
    osName: pick(r, ["Debian GNU/Linux 12 (bookworm)", "Ubuntu 24.04.1 LTS", "Rocky Linux 9.4"]),
    kernel: pick(r, ["6.1.0-28-amd64", "6.8.0-49-generic", "5.14.0-427.el9.x86_64"]),
    bootTs: EPOCH_ANCHOR - Math.round(r() * rebootPeriodMs),
    rebootPeriodMs,
    cpuBase: role === "web"
      ? between(r, 12, 30)
      : role === "db"
      ? between(r, 15, 35)
      : between(r, 10, 40),
    cpuAmp: role === "web"
      ? between(r, 10, 25)
      : role === "db"
      ? between(r, 5, 15)
      : between(r, 15, 30),
    peakHour: role === "batch" ? between(r, 1, 4) : between(r, 12, 17),
    cpuNoise: between(r, 1.5, 4),
    coreSpread: between(r, 4, 12),
    burstChance: between(r, 0.1, 0.25),
    iowaitBase: role === "db"
      ? between(r, 1, 4)
      : role === "batch"
      ? between(r, 0.5, 3)
      : between(r, 0.1, 1),
    steal: r() < 0.5 ? between(r, 0, 0.6) : 0,
    memBasePct: role === "web"
      ? between(r, 30, 50)
      : role === "db"
      ? between(r, 60, 78)
      : between(r, 25, 55),
    memAmpPct: role === "batch" ? between(r, 6, 12) : between(r, 2, 6),
    cacheFraction: between(r, 0.4, 0.75),
    swapBaseFraction: swapTotal > 0 ? between(r, 0.005, 0.05) : 0,
    writeBps: role === "web"
      ? between(r, 3e5, 3e6)
      : role === "db"
      ? between(r, 5e6, 4e7)
      : between(r, 2e6, 2.5e7),
    readRatio: role === "web"
      ? between(r, 0.3, 1)
      : role === "db"
      ? between(r, 0.8, 2)
      : between(r, 0.5, 1.5),
    disks,
    iface: pick(r, ["eth0", "ens3"]),
    rxBps: role === "web"
      ? between(r, 2e6, 3e7)
      : role === "db"
      ? between(r, 1e6, 1e7)
      : between(r, 2e5, 5e6),
    txRatio: role === "web"
      ? between(r, 1.5, 4)
      : role === "db"
      ? between(r, 0.5, 1.5)
      : between(r, 0.3, 1),
    filesystems,
    procBase: Math.round(between(r, 120, 300)) + (role === "web" ? 100 : role === "db" ? 50 : 0),
  };
}

/** Daily cycle in [-1, 1], peaking at the profile's peak hour (UTC). */
export function dailyCycle(profile: MachineProfile, ts: number): number {
  const hour = (ts % DAY_MS) / HOUR_MS;
  return Math.cos((2 * Math.PI * (hour - profile.peakHour)) / 24);
}

/** Extra CPU percent of the burst active at `ts`, or 0. */
export function burstAt(profile: MachineProfile, ts: number): number {
  const slot = Math.floor(ts / BURST_SLOT_MS);
  if (unitAt(profile.key, slot, CH.burst) >= profile.burstChance) return 0;
  const length = 10_000 + unitAt(profile.key, slot, CH.burstLength) * 50_000;
  const start = slot * BURST_SLOT_MS +
    unitAt(profile.key, slot, CH.burstOffset) * (BURST_SLOT_MS - length);
  if (ts < start || ts >= start + length) return 0;
  return 10 + unitAt(profile.key, slot, CH.burstSize) * 25;
}

/** CPU busy percent at `ts` without noise: daily cycle plus bursts. */
export function cpuTrend(profile: MachineProfile, ts: number): number {
  const value = profile.cpuBase + profile.cpuAmp * dailyCycle(profile, ts) + burstAt(profile, ts);
  return Math.min(97, Math.max(1, value));
}

/** Runnable tasks at `ts` without noise: what the load average smooths. */
function runnableTrend(profile: MachineProfile, ts: number): number {
  return profile.cores * (cpuTrend(profile, ts) / 100) * 1.1 +
    profile.cores * (profile.iowaitBase / 100) * 0.5;
}

/** Exponentially weighted average of runnable tasks over `points` looking back `stepMs` apart. */
function smoothedRunnable(
  profile: MachineProfile,
  ts: number,
  stepMs: number,
  tauMs: number,
): number {
  let sum = 0;
  let weights = 0;
  for (let k = 0; k < 10; k++) {
    const w = Math.exp((-k * stepMs) / tauMs);
    sum += w * runnableTrend(profile, ts - k * stepMs);
    weights += w;
  }
  return sum / weights;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x));

/** The sample of `profile` at `ts`, without faults. */
export function baseSample(profile: MachineProfile, ts: number, seq = 0): Sample {
  const { key } = profile;
  const cycle = dailyCycle(profile, ts);
  const activity = 0.55 + 0.45 * cycle; // 0.1 .. 1
  const steal = profile.steal;
  const irq = 0.1;
  const nice = 0.2;
  const noisy = cpuTrend(profile, ts) + profile.cpuNoise * gaussianAt(key, ts, CH.cpu);
  const usage = clamp(noisy, steal + irq + nice + 0.5, 99);
  const softirq = Math.min(0.3 + 0.02 * usage, usage - steal - irq - nice);
  const iowait = clamp(
    profile.iowaitBase * (1 + 0.3 * gaussianAt(key, ts, CH.iowait)),
    0,
    100 - usage,
  );
  const system = (usage - steal - softirq - irq - nice) * 0.25;
  const user = usage - steal - softirq - irq - nice - system;
  const cores: number[] = new Array(profile.cores);
  for (let i = 0; i < profile.cores; i++) {
    cores[i] = round2(clamp(usage + profile.coreSpread * gaussianAt(key, ts, CH.core + i), 0, 100));
  }

  const memTotal = profile.memTotal;
  const usedPct = clamp(
    profile.memBasePct + profile.memAmpPct * cycle + 0.8 * gaussianAt(key, ts, CH.mem),
    5,
    97,
  );
  const used = Math.round((memTotal * usedPct) / 100);
  const available = memTotal - used;
  const cached = Math.round(available * profile.cacheFraction);
  const buffers = Math.round(Math.min((available - cached) * 0.1, memTotal * 0.02));
  const swapUsed = Math.round(
    profile.swapTotal * profile.swapBaseFraction *
      (1 + 0.05 * gaussianAt(key, Math.floor(ts / 60_000), CH.swap)),
  );

  const ioNoise = (channel: number) => Math.exp(0.25 * gaussianAt(key, ts, channel));
  const write = profile.writeBps * activity * ioNoise(CH.write);
  const read = profile.writeBps * profile.readRatio * activity * ioNoise(CH.read);
  const disks = profile.disks.map((d) => {
    const writeBps = Math.round(write * d.share);
    const readBps = Math.round(read * d.share);
    return {
      name: d.name,
      readBps,
      writeBps,
      readIops: Math.round(readBps / 16384),
      writeIops: Math.round(writeBps / 32768),
      utilPct: round2(clamp((100 * (readBps + writeBps)) / d.capacityBps + 0.5, 0, 100)),
    };
  });

  const rxBps = Math.round(profile.rxBps * activity * ioNoise(CH.rx));
  const txBps = Math.round(profile.rxBps * profile.txRatio * activity * ioNoise(CH.tx));
  const error = unitAt(key, ts, CH.netErr);
  const net = [{
    iface: profile.iface,
    rxBps,
    txBps,
    rxPps: Math.round(rxBps / 900),
    txPps: Math.round(txBps / 1100),
    rxErrors: error < 0.002 ? 1 : 0,
    txErrors: 0,
    rxDrops: error > 0.997 ? 1 : 0,
    txDrops: 0,
  }];

  const week = 7 * DAY_MS;
  const sinceCleanup = ((((ts - EPOCH_ANCHOR) % week) + week) % week) / DAY_MS;
  const filesystems = profile.filesystems.map((f) => {
    const fsUsed = Math.round(
      f.size * clamp(f.baseFraction + f.growthPerDay * sinceCleanup, 0.01, 0.98),
    );
    return {
      mount: f.mount,
      fstype: f.fstype,
      device: f.device,
      size: f.size,
      used: fsUsed,
      free: f.size - fsUsed,
      usedPct: round2((100 * fsUsed) / f.size),
    };
  });

  const runnable = runnableTrend(profile, ts);
  const period = profile.rebootPeriodMs;
  const uptimeMs = (((ts - profile.bootTs) % period) + period) % period;
  return {
    ts,
    seq,
    machineId: profile.machineId,
    hostname: profile.name,
    cpu: {
      usage: round2(usage),
      user: round2(user),
      system: round2(system),
      iowait: round2(iowait),
      steal: round2(steal),
      nice,
      irq,
      softirq: round2(softirq),
      idle: round2(Math.max(0, 100 - usage - iowait)),
      cores,
    },
    mem: {
      total: memTotal,
      used,
      available,
      free: available - cached - buffers,
      cached,
      buffers,
      usedPct: round2(usedPct),
      swapTotal: profile.swapTotal,
      swapUsed,
    },
    load: {
      "1": round3(smoothedRunnable(profile, ts, 6_000, 60_000)),
      "5": round3(smoothedRunnable(profile, ts, 30_000, 300_000)),
      "15": round3(smoothedRunnable(profile, ts, 90_000, 900_000)),
    },
    disks,
    filesystems,
    net,
    uptime: Math.floor(uptimeMs / 1000) + 60,
    procs: Math.max(
      1,
      Math.round(profile.procBase + usage * 0.5 + 3 * gaussianAt(key, ts, CH.procs)),
    ),
    procsRunning: Math.max(1, Math.round(runnable + gaussianAt(key, ts, CH.running))),
  };
}

/** Builds the model of machine `index` for `seed`. */
export function createMachineModel(
  seed: string | number,
  index: number,
  options: MachineModelOptions = {},
): MachineModel {
  const profile = machineProfile(String(seed), index, options.namePrefix ?? "sim");
  const faults = (options.faults ?? []).filter((f) => f.machineId === profile.machineId);
  const intervalMs = options.intervalMs ?? 1000;
  return {
    profile,
    faults,
    hello(token: string, intervalMs: number): Hello {
      return {
        type: "hello",
        v: PROTOCOL_VERSION,
        token,
        machineId: profile.machineId,
        hostname: profile.name,
        os: "linux",
        osName: profile.osName,
        kernel: profile.kernel,
        arch: "x86_64",
        cores: profile.cores,
        memTotal: profile.memTotal,
        agentVersion: `${GRIDMON_VERSION}+simulated`,
        intervalMs,
      };
    },
    sampleAt(ts: number, seq = 0): Sample {
      const sample = baseSample(profile, ts, seq);
      const base = baselineOf(sample, profile.cores);
      for (const fault of faults) applyFault(sample, fault, profile);
      sample.processCounts = processCounts(sample);
      if (isScanSample(ts, intervalMs)) {
        const after = baselineOf(sample, profile.cores);
        sample.processes = processReport(profile, ts, base, after, faults);
      }
      return sample;
    },
  };
}
