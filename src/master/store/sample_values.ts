/**
 * Reads a sample's metric values in exactly the order of `flattenSample`, without building the
 * keys, plus a "shape" (device names and which values are present) that decides the keys. While
 * a machine's shape stays the same, its layout (the key list) is reused and `flattenSample`,
 * with its ~75 key strings per sample, is skipped. Whenever the shape changes the caller runs
 * `flattenSample` and checks that it agrees with this walk (see `sameValues`), so a change to
 * the walk can only switch this shortcut off, never store wrong keys. Both read the families of
 * the metric catalogue (src/protocol/catalogue.ts) in the same order.
 */
import { COMPILED, deviceList, familyObject } from "../../protocol/metrics.ts";
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

/** Reads one- or two-level field paths of `obj` (the catalogue has no deeper ones). */
function readInto(w: Walk, obj: Record<string, unknown>, paths: readonly string[][]): void {
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i];
    let x = obj[path[0]];
    if (path.length > 1) {
      x = x === null || x === undefined ? x : (x as Record<string, unknown>)[path[1]];
    }
    v(w, x);
  }
}

/** Fills `w` with the sample's values (flattenSample order), then `extra` (e.g. a score). */
export function walkSample(sample: Sample, extra: number | null | undefined, w: Walk): void {
  w.values.length = 0;
  w.shape.length = 0;
  w.mask = 0;
  w.bit = 0;
  for (let f = 0; f < COMPILED.length; f++) {
    const { entry, paths } = COMPILED[f];
    const obj = familyObject(sample, entry);
    const present = obj !== null && typeof obj === "object";
    const device = entry.device;
    if (!device) {
      mark(w, present ? f + 1 : -f - 1);
      if (present) readInto(w, obj as Record<string, unknown>, paths);
      continue;
    }
    const list = present ? deviceList(obj, device) : undefined;
    mark(w, list ? list.length : -1);
    if (!list) continue;
    const names = device.nameFields;
    for (let j = 0; j < list.length; j++) {
      const item = list[j] as Record<string, unknown>;
      for (let n = 0; n < names.length; n++) mark(w, String(item[names[n]]));
      if (paths[0].length === 0) v(w, item);
      else readInto(w, item, paths);
    }
  }
  mark(w, -1000);
  v(w, extra);
  mark(w, -1001);
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
