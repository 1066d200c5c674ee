/**
 * Reads a sample's metric values in exactly the order of `flattenSample`, without building the
 * keys, plus a "shape" (device names and which values are present) that decides the keys. While
 * a machine's shape stays the same, its layout (the key list) is reused and `flattenSample`,
 * with its ~75 key strings per sample, is skipped. Whenever the shape changes the caller runs
 * `flattenSample` and checks that it agrees with this walk (see `sameValues`), so a change to
 * the metric catalogue can only switch this shortcut off, never store wrong keys.
 */
import type { Sample } from "../../protocol/sample.ts";

/** Reusable output of `walkSample`. */
export interface Walk {
  values: number[];
  shape: (number | string)[];
  mask: number;
  bit: number;
}

/** An empty walk buffer. */
export function newWalk(): Walk {
  return { values: [], shape: [], mask: 0, bit: 0 };
}

function v(w: Walk, x: unknown): void {
  if (typeof x === "number" && Number.isFinite(x)) {
    w.values.push(x);
    w.mask |= 1 << w.bit;
  }
  if (++w.bit === 30) {
    w.shape.push(w.mask);
    w.mask = 0;
    w.bit = 0;
  }
}

function mark(w: Walk, s: number | string): void {
  if (w.bit > 0) {
    w.shape.push(w.mask);
    w.mask = 0;
    w.bit = 0;
  }
  w.shape.push(s);
}

/** Fills `w` with the sample's values (flattenSample order), then `extra` (e.g. a score). */
export function walkSample(sample: Sample, extra: number | null | undefined, w: Walk): void {
  w.values.length = 0;
  w.shape.length = 0;
  w.mask = 0;
  w.bit = 0;
  const { cpu, mem, load, pressure } = sample;
  mark(w, cpu ? 1 : 0);
  if (cpu) {
    v(w, cpu.usage);
    v(w, cpu.user);
    v(w, cpu.system);
    v(w, cpu.iowait);
    v(w, cpu.steal);
    v(w, cpu.nice);
    v(w, cpu.irq);
    v(w, cpu.softirq);
    const cores = cpu.cores;
    mark(w, cores ? cores.length : -1);
    if (cores) { for (let i = 0; i < cores.length; i++) v(w, cores[i]); }
  }
  mark(w, mem ? 2 : 0);
  if (mem) {
    v(w, mem.total);
    v(w, mem.used);
    v(w, mem.available);
    v(w, mem.cached);
    v(w, mem.buffers);
    v(w, mem.usedPct);
    v(w, mem.swapTotal);
    v(w, mem.swapUsed);
  }
  mark(w, load ? 3 : 0);
  if (load) {
    v(w, load["1"]);
    v(w, load["5"]);
    v(w, load["15"]);
  }
  mark(w, 4);
  v(w, sample.uptime);
  v(w, sample.procs);
  v(w, sample.procsRunning);
  mark(w, pressure ? 5 : 0);
  if (pressure) {
    v(w, pressure.cpu?.some10);
    v(w, pressure.memory?.some10);
    v(w, pressure.memory?.full10);
    v(w, pressure.io?.some10);
    v(w, pressure.io?.full10);
  }
  mark(w, 6);
  for (const d of sample.disks ?? []) {
    mark(w, d.name);
    v(w, d.readBps);
    v(w, d.writeBps);
    v(w, d.readIops);
    v(w, d.writeIops);
    v(w, d.utilPct);
  }
  mark(w, 7);
  for (const n of sample.net ?? []) {
    mark(w, n.iface);
    v(w, n.rxBps);
    v(w, n.txBps);
    v(w, n.rxPps);
    v(w, n.txPps);
    v(w, n.rxErrors);
    v(w, n.txErrors);
    v(w, n.rxDrops);
    v(w, n.txDrops);
  }
  mark(w, 8);
  for (const fs of sample.filesystems ?? []) {
    mark(w, fs.mount);
    v(w, fs.size);
    v(w, fs.used);
    v(w, fs.usedPct);
  }
  mark(w, 9);
  for (const t of sample.temps ?? []) {
    mark(w, t.sensor);
    mark(w, t.label);
    v(w, t.celsius);
  }
  mark(w, 10);
  v(w, extra);
  mark(w, 11);
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly (number | string)[], b: readonly (number | string)[]) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the walk produced exactly `values` (flattenSample's, in order). */
export function sameValues(walk: readonly number[], values: readonly number[]): boolean {
  if (walk.length !== values.length) return false;
  for (let i = 0; i < walk.length; i++) if (!Object.is(walk[i], values[i])) return false;
  return true;
}
