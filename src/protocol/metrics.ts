/**
 * The metric catalogue: how a sample flattens into named numeric series.
 *
 * Scalar metrics have dotted keys (`cpu.usage`, `mem.usedPct`, `load.1`). Per-device metrics
 * have keys `FAMILY:NAME:FIELD` (`core:0:usage`, `disk:vda:readBps`, `net:eth0:rxBps`,
 * `fs:/var/lib:usedPct`, `temp:coretemp/Core 0:celsius`): the family is before the first
 * colon, the field after the last one, and the device name (which may itself hold colons,
 * slashes or dots) in between.
 */
import type { Sample } from "./sample.ts";

/** Unit of a metric, for display and for Prometheus names. */
export type MetricUnit =
  | "percent"
  | "bytes"
  | "bytes_per_second"
  | "per_second"
  | "seconds"
  | "count"
  | "ratio"
  | "celsius"
  | "load";

export interface MetricInfo {
  /** Key of the series, as in `flattenSample`. For per-device families, the field name. */
  key: string;
  unit: MetricUnit;
  help: string;
}

/** Scalar metrics, in display order. */
export const SCALAR_METRICS: readonly MetricInfo[] = [
  { key: "cpu.usage", unit: "percent", help: "CPU busy time, all cores" },
  { key: "cpu.user", unit: "percent", help: "CPU time in user space" },
  { key: "cpu.system", unit: "percent", help: "CPU time in the kernel" },
  { key: "cpu.iowait", unit: "percent", help: "CPU time waiting for I/O" },
  { key: "cpu.steal", unit: "percent", help: "CPU time stolen by the hypervisor" },
  { key: "cpu.nice", unit: "percent", help: "CPU time in niced user processes" },
  { key: "cpu.irq", unit: "percent", help: "CPU time in hardware interrupts" },
  { key: "cpu.softirq", unit: "percent", help: "CPU time in software interrupts" },
  { key: "mem.total", unit: "bytes", help: "Physical memory" },
  { key: "mem.used", unit: "bytes", help: "Memory in use (total minus available)" },
  { key: "mem.available", unit: "bytes", help: "Memory available for new work" },
  { key: "mem.cached", unit: "bytes", help: "Page cache" },
  { key: "mem.buffers", unit: "bytes", help: "Buffers" },
  { key: "mem.usedPct", unit: "percent", help: "Memory in use" },
  { key: "mem.swapTotal", unit: "bytes", help: "Swap space" },
  { key: "mem.swapUsed", unit: "bytes", help: "Swap in use" },
  { key: "load.1", unit: "load", help: "Load average over 1 minute" },
  { key: "load.5", unit: "load", help: "Load average over 5 minutes" },
  { key: "load.15", unit: "load", help: "Load average over 15 minutes" },
  { key: "uptime", unit: "seconds", help: "Time since boot" },
  { key: "procs", unit: "count", help: "Processes" },
  { key: "procsRunning", unit: "count", help: "Runnable processes" },
  { key: "pressure.cpu.some10", unit: "percent", help: "CPU pressure (some, 10 s average)" },
  { key: "pressure.memory.some10", unit: "percent", help: "Memory pressure (some, 10 s average)" },
  { key: "pressure.memory.full10", unit: "percent", help: "Memory pressure (full, 10 s average)" },
  { key: "pressure.io.some10", unit: "percent", help: "I/O pressure (some, 10 s average)" },
  { key: "pressure.io.full10", unit: "percent", help: "I/O pressure (full, 10 s average)" },
];

/** Per-device families and their fields. */
export const DEVICE_METRICS: Readonly<Record<string, readonly MetricInfo[]>> = {
  core: [{ key: "usage", unit: "percent", help: "CPU busy time of one core" }],
  disk: [
    { key: "readBps", unit: "bytes_per_second", help: "Bytes read per second" },
    { key: "writeBps", unit: "bytes_per_second", help: "Bytes written per second" },
    { key: "readIops", unit: "per_second", help: "Read operations per second" },
    { key: "writeIops", unit: "per_second", help: "Write operations per second" },
    { key: "utilPct", unit: "percent", help: "Time the device was busy" },
  ],
  net: [
    { key: "rxBps", unit: "bytes_per_second", help: "Bytes received per second" },
    { key: "txBps", unit: "bytes_per_second", help: "Bytes sent per second" },
    { key: "rxPps", unit: "per_second", help: "Packets received per second" },
    { key: "txPps", unit: "per_second", help: "Packets sent per second" },
    { key: "rxErrors", unit: "per_second", help: "Receive errors per second" },
    { key: "txErrors", unit: "per_second", help: "Transmit errors per second" },
    { key: "rxDrops", unit: "per_second", help: "Received packets dropped per second" },
    { key: "txDrops", unit: "per_second", help: "Transmitted packets dropped per second" },
  ],
  fs: [
    { key: "size", unit: "bytes", help: "Filesystem size" },
    { key: "used", unit: "bytes", help: "Filesystem space used" },
    { key: "usedPct", unit: "percent", help: "Filesystem space used" },
  ],
  temp: [{ key: "celsius", unit: "celsius", help: "Temperature" }],
};

/** Splits a per-device key into its parts; undefined for a scalar key. */
export function parseDeviceKey(
  key: string,
): { family: string; name: string; field: string } | undefined {
  const first = key.indexOf(":");
  const last = key.lastIndexOf(":");
  if (first < 0 || last === first) return undefined;
  return {
    family: key.slice(0, first),
    name: key.slice(first + 1, last),
    field: key.slice(last + 1),
  };
}

/** Builds a per-device key. */
export function deviceKey(family: string, name: string, field: string): string {
  return `${family}:${name}:${field}`;
}

type Numeric = number | null | undefined;

function put(out: Map<string, number>, key: string, value: Numeric): void {
  if (typeof value === "number" && Number.isFinite(value)) out.set(key, value);
}

/**
 * Flattens a sample into `key -> value`. Null and absent values are left out, so a missing
 * key means "unknown", never zero.
 */
export function flattenSample(sample: Sample): Map<string, number> {
  const out = new Map<string, number>();
  const { cpu, mem, load, pressure } = sample;
  if (cpu) {
    put(out, "cpu.usage", cpu.usage);
    put(out, "cpu.user", cpu.user);
    put(out, "cpu.system", cpu.system);
    put(out, "cpu.iowait", cpu.iowait);
    put(out, "cpu.steal", cpu.steal);
    put(out, "cpu.nice", cpu.nice);
    put(out, "cpu.irq", cpu.irq);
    put(out, "cpu.softirq", cpu.softirq);
    cpu.cores?.forEach((usage, i) => put(out, deviceKey("core", String(i), "usage"), usage));
  }
  if (mem) {
    put(out, "mem.total", mem.total);
    put(out, "mem.used", mem.used);
    put(out, "mem.available", mem.available);
    put(out, "mem.cached", mem.cached);
    put(out, "mem.buffers", mem.buffers);
    put(out, "mem.usedPct", mem.usedPct);
    put(out, "mem.swapTotal", mem.swapTotal);
    put(out, "mem.swapUsed", mem.swapUsed);
  }
  if (load) {
    put(out, "load.1", load["1"]);
    put(out, "load.5", load["5"]);
    put(out, "load.15", load["15"]);
  }
  put(out, "uptime", sample.uptime);
  put(out, "procs", sample.procs);
  put(out, "procsRunning", sample.procsRunning);
  if (pressure) {
    put(out, "pressure.cpu.some10", pressure.cpu?.some10);
    put(out, "pressure.memory.some10", pressure.memory?.some10);
    put(out, "pressure.memory.full10", pressure.memory?.full10);
    put(out, "pressure.io.some10", pressure.io?.some10);
    put(out, "pressure.io.full10", pressure.io?.full10);
  }
  for (const d of sample.disks ?? []) {
    for (const f of DEVICE_METRICS.disk) {
      put(out, deviceKey("disk", d.name, f.key), d[f.key as keyof typeof d] as Numeric);
    }
  }
  for (const n of sample.net ?? []) {
    for (const f of DEVICE_METRICS.net) {
      put(out, deviceKey("net", n.iface, f.key), n[f.key as keyof typeof n] as Numeric);
    }
  }
  for (const fs of sample.filesystems ?? []) {
    for (const f of DEVICE_METRICS.fs) {
      put(out, deviceKey("fs", fs.mount, f.key), fs[f.key as keyof typeof fs] as Numeric);
    }
  }
  for (const t of sample.temps ?? []) {
    put(out, deviceKey("temp", `${t.sensor}/${t.label}`, "celsius"), t.celsius);
  }
  return out;
}
