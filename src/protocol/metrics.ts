/**
 * What the catalogue (catalogue.ts) implies: series keys, the metric behind a key, and how a
 * sample flattens into `key -> value`. Shared with the browser, like the catalogue.
 */
import {
  type DeviceFamily,
  FAMILIES,
  type FamilyEntry,
  type MetricEntry,
  SCORE_KEY,
  SCORE_METRIC,
} from "./catalogue.ts";

export type { MetricKind, MetricUnit } from "./catalogue.ts";

/** A metric with its series key (scalars) or field (per-device families). */
export interface MetricInfo extends MetricEntry {
  /** `cpu.usage` for a scalar; the field (`rxBps`) for a per-device metric. */
  key: string;
  family: string;
  /** The device family's description, for per-device metrics. */
  device?: DeviceFamily;
}

/** A family ready to read samples: its metrics with their field paths split once. */
export interface CompiledFamily {
  entry: FamilyEntry;
  /** Index in FAMILIES. */
  index: number;
  metrics: MetricInfo[];
  /** Field paths split at dots; [] reads the item itself (cores). */
  paths: string[][];
}

function scalarKey(family: string, field: string): string {
  return family ? `${family}.${field}` : field;
}

/** The families with their metrics' keys and paths, in flattening order. */
export const COMPILED: readonly CompiledFamily[] = FAMILIES.map((entry, index) => ({
  entry,
  index,
  metrics: entry.metrics.map((m) => ({
    ...m,
    key: m.key ?? (entry.device ? m.field : scalarKey(entry.name, m.field)),
    family: entry.name,
    ...(entry.device ? { device: entry.device } : {}),
  })),
  paths: entry.metrics.map((m) => (m.field === "" ? [] : m.field.split("."))),
}));

/** Scalar metrics, in flattening order. */
export const SCALAR_METRICS: readonly MetricInfo[] = COMPILED.filter((f) => !f.entry.device)
  .flatMap((f) => f.metrics);

/** Per-device families and their metrics (`key` is the field of the series key). */
export const DEVICE_METRICS: Readonly<Record<string, readonly MetricInfo[]>> = Object.fromEntries(
  COMPILED.filter((f) => f.entry.device).map((f) => [f.entry.name, f.metrics]),
);

const SCALAR_BY_KEY = new Map(SCALAR_METRICS.map((m) => [m.key, m]));
const SCORE_INFO: MetricInfo = { ...SCORE_METRIC, key: SCORE_KEY, family: "anomaly" };

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

/** The metric behind a series key (device part may be anything, `*` included). */
export function metricOf(key: string): MetricInfo | undefined {
  if (key === SCORE_KEY) return SCORE_INFO;
  const device = parseDeviceKey(key);
  if (!device) return SCALAR_BY_KEY.get(key);
  return DEVICE_METRICS[device.family]?.find((m) => m.key === device.field);
}

/** Reads a field path of an object; undefined where the path is missing. */
export function readPath(obj: unknown, path: readonly string[]): unknown {
  let x = obj;
  for (let i = 0; i < path.length && x !== undefined && x !== null; i++) {
    x = (x as Record<string, unknown>)[path[i]];
  }
  return x;
}

/** The object of the sample a family reads (the sample itself when its path is ""). */
export function familyObject(sample: object, family: FamilyEntry): unknown {
  return family.path ? (sample as Record<string, unknown>)[family.path] : sample;
}

/** The device list of a per-device family in `obj` (see familyObject), or undefined. */
export function deviceList(obj: unknown, device: DeviceFamily): unknown[] | undefined {
  if (obj === null || typeof obj !== "object") return undefined;
  const list = (obj as Record<string, unknown>)[device.list];
  return Array.isArray(list) ? list : undefined;
}

/** A device's name: its name fields joined with "/", or its index for lists of values. */
export function deviceName(item: unknown, index: number, device: DeviceFamily): string {
  const fields = device.nameFields;
  if (fields.length === 0) return String(index);
  const rec = item as Record<string, unknown>;
  let name = String(rec[fields[0]]);
  for (let i = 1; i < fields.length; i++) name += `/${String(rec[fields[i]])}`;
  return name;
}

/** A device as people read it: "eth0", "core 3". */
export function deviceLabel(device: DeviceFamily, name: string): string {
  return device.noun ? `${device.noun} ${name}` : name;
}

function put(out: Map<string, number>, key: string, value: unknown): void {
  if (typeof value === "number" && Number.isFinite(value)) out.set(key, value);
}

/**
 * Flattens a sample (any object of the sample's shape) into `key -> value`. Null and absent
 * values are left out, so a missing key means "unknown", never zero.
 */
export function flattenSample(sample: object): Map<string, number> {
  const out = new Map<string, number>();
  for (const { entry, metrics, paths } of COMPILED) {
    const obj = familyObject(sample, entry);
    if (obj === null || typeof obj !== "object") continue;
    const device = entry.device;
    if (!device) {
      for (let i = 0; i < metrics.length; i++) put(out, metrics[i].key, readPath(obj, paths[i]));
      continue;
    }
    const list = deviceList(obj, device);
    if (!list) continue;
    for (let j = 0; j < list.length; j++) {
      const prefix = `${entry.name}:${deviceName(list[j], j, device)}:`;
      for (let i = 0; i < metrics.length; i++) {
        put(out, prefix + metrics[i].key, readPath(list[j], paths[i]));
      }
    }
  }
  return out;
}
