/**
 * Injected faults: what they are and what they do to a sample. Each fault is caused by a named
 * process of the machine's process table (process_model.ts). How `--faults` names them is
 * parsed in src/cli/fault_spec.ts.
 */
import type { Sample } from "../protocol/sample.ts";
import type { MachineProfile } from "./machine_model.ts";
import { CH, machineIdFor, machineName, machineProfile } from "./machine_model.ts";
import { faultProcess } from "./process_model.ts";
import { createRandom, hashString, unitAt } from "./random.ts";

export type FaultKind = "cpu" | "memleak" | "disk" | "net";

export const FAULT_KINDS: readonly FaultKind[] = ["cpu", "memleak", "disk", "net"];

/** One injected fault, as written to `--faults-out`: active for start <= ts < end (ms). */
export interface Fault {
  kind: FaultKind;
  machineId: string;
  name: string;
  /** The process that causes it (its name in the machine's process table). */
  process: string;
  start: number;
  end: number;
}

/** What resolving a fault spec needs to know about the simulation. */
export interface FaultContext {
  seed: string;
  namePrefix: string;
  workers: number;
  /** Timestamp of the simulation's first sample (ms). */
  startMs: number;
  /**
   * Span random faults are placed in (ms from startMs): the --duration, or the back-filled past
   * when the run starts earlier than now and goes on live; undefined when neither is known.
   */
  durationMs?: number;
}

/**
 * `count` faults on distinct machines (at most one per machine), kinds taking turns, each
 * lasting 10-20% of the run and lying within its middle, all drawn from the seed.
 */
export function randomFaults(count: number, ctx: FaultContext & { durationMs: number }): Fault[] {
  const duration = ctx.durationMs;
  const r = createRandom(hashString(`${ctx.seed}/${ctx.namePrefix}/faults`));
  const indices = Array.from({ length: ctx.workers }, (_, i) => i);
  const kinds = [...FAULT_KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const faults: Fault[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(r() * (indices.length - i));
    [indices[i], indices[j]] = [indices[j], indices[i]];
    const index = indices[i];
    const length = Math.round((duration * (0.1 + 0.1 * r())) / 1000) * 1000;
    const offset = Math.round((duration * 0.1 + r() * (duration * 0.85 - length)) / 1000) * 1000;
    const kind = kinds[i % kinds.length];
    faults.push({
      kind,
      machineId: machineIdFor(ctx.seed, ctx.namePrefix, index),
      name: machineName(ctx.namePrefix, index),
      process: culpritOf(kind, index, ctx),
      start: ctx.startMs + offset,
      end: ctx.startMs + offset + length,
    });
  }
  return faults;
}

/** The process of the machine's table that causes a fault of `kind` on machine `index`. */
export function culpritOf(kind: FaultKind, index: number, ctx: FaultContext): string {
  return faultProcess(kind, machineProfile(ctx.seed, index, ctx.namePrefix).role);
}

/** The fault active on `machineId` at `ts`, if any: a label for scoring detection. */
export function activeFault(
  faults: readonly Fault[],
  machineId: string,
  ts: number,
): Fault | undefined {
  return faults.find((f) => f.machineId === machineId && ts >= f.start && ts < f.end);
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x));

/** A per-fault constant in [min, max), fixed by the machine and the fault's start. */
function faultConstant(profile: MachineProfile, fault: Fault, n: number, min: number, max: number) {
  return min + (max - min) * unitAt(profile.key, fault.start, CH.fault + n);
}

/**
 * Applies `fault` to `sample` (a sample of `profile`), in place, and returns it. Effects:
 * cpu: usage ~97-100 on every core, load climbs; memleak: used memory ramps up steadily until
 * it spills into swap; disk: writes x50-100, util ~85-99%, iowait up, /data fills; net: rx/tx
 * bytes x50-100, packets more, softirq up. Load and /data keep the after-effects a real machine
 * would show; everything else returns to normal at `end`.
 */
export function applyFault(sample: Sample, fault: Fault, profile: MachineProfile): Sample {
  const ts = sample.ts;
  if (ts < fault.start || fault.machineId !== sample.machineId) return sample;
  const active = ts < fault.end;
  switch (fault.kind) {
    case "cpu":
      if (active) saturateCpu(sample, profile);
      addLoad(sample, fault, profile.cores * 1.5);
      break;
    case "memleak":
      if (active) leakMemory(sample, fault, profile);
      break;
    case "disk":
      if (active) burstDisk(sample, fault, profile);
      addLoad(sample, fault, profile.cores * 0.3);
      fillData(sample, fault, profile);
      break;
    case "net":
      if (active) floodNet(sample, fault, profile);
      break;
  }
  return sample;
}

/** Sets busy CPU to `usage`, keeping steal, irq, softirq and nice, and fixes idle. */
function reshapeCpu(cpu: NonNullable<Sample["cpu"]>, usage: number, systemShare: number): void {
  const fixed = (cpu.steal ?? 0) + (cpu.irq ?? 0) + (cpu.softirq ?? 0) + (cpu.nice ?? 0);
  const rest = Math.max(0, usage - fixed);
  cpu.usage = round2(usage);
  cpu.system = round2(rest * systemShare);
  cpu.user = round2(rest - rest * systemShare);
  cpu.iowait = round2(Math.min(cpu.iowait ?? 0, 100 - usage));
  cpu.idle = round2(Math.max(0, 100 - usage - (cpu.iowait ?? 0)));
}

function saturateCpu(sample: Sample, profile: MachineProfile): void {
  const cpu = sample.cpu;
  if (!cpu) return;
  reshapeCpu(cpu, 97 + 2.9 * unitAt(profile.key, sample.ts, CH.fault), 0.12);
  cpu.cores = cpu.cores?.map((_, i) =>
    round2(Math.min(100, 94 + 6 * unitAt(profile.key, sample.ts, CH.fault + 100 + i)))
  );
  if (sample.procsRunning !== undefined) sample.procsRunning += profile.cores;
}

/** Adds `extra` runnable tasks during the fault to the load averages, as the kernel's EWMA would. */
function addLoad(sample: Sample, fault: Fault, extra: number): void {
  const load = sample.load;
  if (!load) return;
  const ts = sample.ts;
  const ran = Math.min(ts, fault.end) - fault.start;
  const since = Math.max(0, ts - fault.end);
  const response = (tauMs: number) =>
    extra * (1 - Math.exp(-ran / tauMs)) * Math.exp(-since / tauMs);
  load["1"] = Math.round((load["1"] + response(60_000)) * 1000) / 1000;
  load["5"] = Math.round((load["5"] + response(300_000)) * 1000) / 1000;
  load["15"] = Math.round((load["15"] + response(900_000)) * 1000) / 1000;
}

function leakMemory(sample: Sample, fault: Fault, profile: MachineProfile): void {
  const mem = sample.mem;
  if (!mem) return;
  const progress = (sample.ts - fault.start) / (fault.end - fault.start);
  const cap = mem.total * 0.97;
  const wanted = mem.used + progress * (mem.total * 0.99 - mem.used) * 1.15;
  const used = Math.round(Math.min(wanted, cap));
  const overflow = Math.max(0, wanted - cap);
  mem.used = Math.max(mem.used, used);
  mem.available = mem.total - mem.used;
  mem.cached = Math.round(mem.available * profile.cacheFraction * (1 - progress * 0.8));
  mem.buffers = Math.round(Math.min(mem.buffers ?? 0, (mem.available - mem.cached) * 0.1));
  mem.free = mem.available - mem.cached - mem.buffers;
  mem.usedPct = round2((100 * mem.used) / mem.total);
  mem.swapUsed = Math.round(Math.min(mem.swapTotal, mem.swapUsed + overflow));
}

function burstDisk(sample: Sample, fault: Fault, profile: MachineProfile): void {
  const factor = faultConstant(profile, fault, 1, 50, 100);
  for (const disk of sample.disks ?? []) {
    disk.writeBps = Math.round((disk.writeBps ?? 0) * factor);
    disk.writeIops = Math.round((disk.writeIops ?? 0) * factor * 0.5);
    disk.utilPct = round2(85 + 14 * unitAt(profile.key, sample.ts, CH.fault + 2));
  }
  const cpu = sample.cpu;
  if (cpu && cpu.usage !== null) {
    const iowait = (cpu.iowait ?? 0) + faultConstant(profile, fault, 3, 15, 30);
    cpu.iowait = round2(Math.min(iowait, 100 - cpu.usage));
    cpu.idle = round2(Math.max(0, 100 - cpu.usage - cpu.iowait));
  }
}

/** Half of what the disk burst writes lands on /data, and stays there. */
function fillData(sample: Sample, fault: Fault, profile: MachineProfile): void {
  const fs = sample.filesystems?.find((f) => f.mount === "/data");
  if (!fs) return;
  const factor = faultConstant(profile, fault, 1, 50, 100);
  const seconds = (Math.min(sample.ts, fault.end) - fault.start) / 1000;
  const written = profile.writeBps * factor * 0.5 * seconds;
  fs.used = Math.round(Math.min(fs.size * 0.995, fs.used + written));
  fs.free = fs.size - fs.used;
  fs.usedPct = round2((100 * fs.used) / fs.size);
}

function floodNet(sample: Sample, fault: Fault, profile: MachineProfile): void {
  const factor = faultConstant(profile, fault, 4, 50, 100);
  for (const n of sample.net ?? []) {
    n.rxBps = Math.round((n.rxBps ?? 0) * factor);
    n.txBps = Math.round((n.txBps ?? 0) * factor);
    n.rxPps = Math.round((n.rxPps ?? 0) * factor * 1.5);
    n.txPps = Math.round((n.txPps ?? 0) * factor * 1.5);
  }
  const cpu = sample.cpu;
  if (cpu && cpu.usage !== null) {
    const extra = faultConstant(profile, fault, 5, 4, 8);
    cpu.softirq = round2((cpu.softirq ?? 0) + extra);
    reshapeCpu(cpu, clamp(cpu.usage + extra, 0, 100 - (cpu.iowait ?? 0)), 0.25);
  }
}
