/**
 * Rebuilds a Sample from stored metric values (the inverse of `flattenSample`), for the
 * detector's warm start. Where each value goes comes from the metric catalogue; fields the
 * schema requires but the store does not keep (filesystem type, a rate never stored) get the
 * schema's neutral value: null where it allows null, "" for text, 0 for numbers.
 */
import { SCORE_KEY } from "../../protocol/catalogue.ts";
import { COMPILED, type CompiledFamily, parseDeviceKey } from "../../protocol/metrics.ts";
import { type Sample, SampleSchema } from "../../protocol/sample.ts";
import { z } from "zod";

type Obj = Record<string, unknown>;

const SCALAR_HOME = new Map<string, { family: CompiledFamily; path: string[] }>();
const DEVICE_FAMILY = new Map<string, CompiledFamily>();
for (const family of COMPILED) {
  if (family.entry.device) DEVICE_FAMILY.set(family.entry.name, family);
  else family.metrics.forEach((m, i) => SCALAR_HOME.set(m.key, { family, path: family.paths[i] }));
}

function objectAt(parent: Obj, field: string): Obj {
  if (field === "") return parent;
  let child = parent[field];
  if (child === null || typeof child !== "object") child = parent[field] = {};
  return child as Obj;
}

function setPath(obj: Obj, path: readonly string[], value: number): void {
  let at = obj;
  for (let i = 0; i < path.length - 1; i++) at = objectAt(at, path[i]);
  at[path[path.length - 1]] = value;
}

/** Builds a Sample from `key -> value` (keys as in src/protocol/metrics.ts). */
export function unflattenSample(
  base: { ts: number; seq: number; machineId: string; hostname: string },
  values: Map<string, number>,
): Sample {
  const sample: Obj = { ...base };
  /** family name -> device name -> device object */
  const devices = new Map<string, Map<string, Obj | number>>();
  for (const [key, v] of values) {
    if (key === SCORE_KEY) continue;
    const dev = parseDeviceKey(key);
    if (!dev) {
      const home = SCALAR_HOME.get(key);
      if (home) setPath(objectAt(sample, home.family.entry.path), home.path, v);
      continue;
    }
    const family = DEVICE_FAMILY.get(dev.family);
    const i = family?.metrics.findIndex((m) => m.key === dev.field) ?? -1;
    if (!family || i < 0) continue;
    let byName = devices.get(dev.family);
    if (!byName) devices.set(dev.family, byName = new Map());
    const path = family.paths[i];
    if (path.length === 0) {
      byName.set(dev.name, v);
      continue;
    }
    let item = byName.get(dev.name) as Obj | undefined;
    if (!item) byName.set(dev.name, item = nameFieldsOf(family, dev.name));
    setPath(item, path, v);
  }
  for (const [name, byName] of devices) {
    const family = DEVICE_FAMILY.get(name)!;
    const { list, nameFields } = family.entry.device!;
    objectAt(sample, family.entry.path)[list] = nameFields.length > 0
      ? [...byName.values()]
      : indexed(byName);
  }
  return complete(sample, SampleSchema) as Sample;
}

/** The name fields of a device from its joined name (`coretemp/Core 0`: sensor, label). */
function nameFieldsOf(family: CompiledFamily, name: string): Obj {
  const fields = family.entry.device!.nameFields;
  const parts = name.split("/");
  const out: Obj = {};
  fields.forEach((field, i) => {
    out[field] = i === fields.length - 1 ? parts.slice(i).join("/") : parts[i] ?? "";
  });
  return out;
}

/** A list of values named by index (cores); gaps are null. */
function indexed(byName: Map<string, Obj | number>): (number | null)[] {
  const out: (number | null)[] = [];
  for (const [name, v] of byName) {
    const i = Number(name);
    if (!Number.isInteger(i) || i < 0 || i >= 4096) continue;
    while (out.length <= i) out.push(null);
    out[i] = v as number;
  }
  return out;
}

/** Fills what `schema` requires and `value` lacks with neutral values, recursively. */
function complete(value: unknown, schema: z.ZodType): unknown {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((item) => complete(item, inner.element as z.ZodType));
  }
  if (!(inner instanceof z.ZodObject) || value === null || typeof value !== "object") return value;
  const obj = value as Obj;
  for (const [field, fieldSchema] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
    if (obj[field] !== undefined) obj[field] = complete(obj[field], fieldSchema);
    else if (!fieldSchema.safeParse(undefined).success) obj[field] = neutral(fieldSchema);
  }
  return obj;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

function neutral(schema: z.ZodType): unknown {
  if (schema.safeParse(null).success) return null;
  if (schema.safeParse("").success) return "";
  return 0;
}
