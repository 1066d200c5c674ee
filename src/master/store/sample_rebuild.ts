/**
 * Rebuilds a Sample from stored metric values (the inverse of `flattenSample`), for the
 * detector's warm start. Strings that are not metrics (filesystem type) come back empty.
 */
import { parseDeviceKey } from "../../protocol/metrics.ts";
import type { Sample } from "../../protocol/sample.ts";

type Obj = Record<string, number | null>;

function scalarInto(sample: Record<string, unknown>, key: string, v: number): void {
  const dot = key.indexOf(".");
  if (dot < 0) {
    sample[key] = v;
    return;
  }
  const group = key.slice(0, dot);
  const rest = key.slice(dot + 1);
  if (group === "pressure") {
    const [resource, field] = rest.split(".");
    const p = (sample.pressure ??= {}) as Record<string, Obj>;
    const line = (p[resource] ??= { some10: 0, some60: 0, some300: 0 });
    line[field] = v;
    return;
  }
  const obj = (sample[group] ??= {}) as Obj;
  obj[rest] = v;
}

/** Builds a Sample from `key -> value` (keys as in src/protocol/metrics.ts). */
export function unflattenSample(
  base: { ts: number; seq: number; machineId: string; hostname: string },
  values: Map<string, number>,
): Sample {
  const sample: Record<string, unknown> = { ...base };
  const devices = new Map<string, Map<string, Obj>>();
  const cores: (number | null)[] = [];
  for (const [key, v] of values) {
    if (key === "anomaly.score") continue;
    const dev = parseDeviceKey(key);
    if (!dev) {
      scalarInto(sample, key, v);
      continue;
    }
    if (dev.family === "core") {
      const i = Number(dev.name);
      if (Number.isInteger(i) && i >= 0 && i < 4096) {
        while (cores.length <= i) cores.push(null);
        cores[i] = v;
      }
      continue;
    }
    let family = devices.get(dev.family);
    if (!family) devices.set(dev.family, family = new Map());
    let obj = family.get(dev.name);
    if (!obj) family.set(dev.name, obj = {});
    obj[dev.field] = v;
  }
  if (sample.cpu || cores.length > 0) {
    const cpu = (sample.cpu ??= {}) as Obj;
    cpu.usage ??= null;
    cpu.user ??= null;
    cpu.system ??= null;
    if (cores.length > 0) (cpu as Record<string, unknown>).cores = cores;
  }
  if (sample.mem) {
    const mem = sample.mem as Obj;
    for (const f of ["total", "used", "available", "usedPct", "swapTotal", "swapUsed"]) {
      mem[f] ??= 0;
    }
  }
  if (sample.load) {
    const load = sample.load as Obj;
    for (const f of ["1", "5", "15"]) load[f] ??= 0;
  }
  const rates = (obj: Obj, fields: string[]) => {
    for (const f of fields) obj[f] ??= null;
    return obj;
  };
  const disk = devices.get("disk");
  if (disk) {
    sample.disks = [...disk].map(([name, o]) => ({
      name,
      ...rates(o, ["readBps", "writeBps", "readIops", "writeIops", "utilPct"]),
    }));
  }
  const net = devices.get("net");
  if (net) {
    sample.net = [...net].map(([iface, o]) => ({
      iface,
      ...rates(o, ["rxBps", "txBps", "rxPps", "txPps", "rxErrors", "txErrors"]),
    }));
  }
  const fs = devices.get("fs");
  if (fs) {
    sample.filesystems = [...fs].map(([mount, o]) => ({
      mount,
      fstype: "",
      size: o.size ?? 0,
      used: o.used ?? 0,
      usedPct: o.usedPct ?? 0,
    }));
  }
  const temp = devices.get("temp");
  if (temp) {
    sample.temps = [...temp].map(([name, o]) => {
      const slash = name.indexOf("/");
      return {
        sensor: slash < 0 ? name : name.slice(0, slash),
        label: slash < 0 ? "" : name.slice(slash + 1),
        celsius: o.celsius ?? 0,
      };
    });
  }
  return sample as Sample;
}
