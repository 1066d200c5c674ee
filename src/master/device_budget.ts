/**
 * How many devices of each family one machine may have series for. A join-token holder could
 * otherwise send samples with ever-new device names and grow the series catalogue, the layouts
 * and the master's memory without bound. Names a machine already has always pass; a new name
 * beyond the family's budget is left out of the sample (before detection and storage), counted
 * per family, and logged once per machine and family.
 *
 * Budgets start from the names in each machine's latest stored sample at master start.
 */
import type { Sample } from "../protocol/sample.ts";

/** The per-device arrays of a sample and the field that names the device. */
const FAMILIES = {
  disks: (d: { name: string }) => d.name,
  filesystems: (f: { mount: string }) => f.mount,
  net: (n: { iface: string }) => n.iface,
  temps: (t: { sensor: string; label: string }) => `${t.sensor}/${t.label}`,
} as const;

export type DeviceFamily = keyof typeof FAMILIES;
export const DEVICE_FAMILIES = Object.keys(FAMILIES) as DeviceFamily[];

/** Default: devices per family and machine (a large server has a few dozen disks or NICs). */
export const DEFAULT_DEVICES_PER_FAMILY = 128;

export class DeviceBudget {
  readonly #max: number;
  readonly #known = new Map<string, Map<DeviceFamily, Set<string>>>();
  readonly #refused = new Map<DeviceFamily, number>();
  readonly #log: (line: string) => void;
  readonly #logged = new Set<string>();

  constructor(log: (line: string) => void, maxPerFamily = DEFAULT_DEVICES_PER_FAMILY) {
    this.#max = maxPerFamily;
    this.#log = log;
  }

  /** Device entries left out so far, per family. */
  get refused(): ReadonlyMap<DeviceFamily, number> {
    return this.#refused;
  }

  /** Remembers the devices of a stored sample (at start) as the machine's own. */
  seed(machineId: string, sample: Sample): void {
    this.admit(machineId, sample);
  }

  /** The sample with devices over budget left out (the same object when nothing was). */
  admit(machineId: string, sample: Sample): Sample {
    let out = sample;
    for (const family of DEVICE_FAMILIES) {
      const items = sample[family] as readonly unknown[] | undefined;
      if (!items || items.length === 0) continue;
      const nameOf = FAMILIES[family] as (item: unknown) => string;
      const known = this.#familyOf(machineId, family);
      let kept: unknown[] | undefined;
      for (let i = 0; i < items.length; i++) {
        const name = nameOf(items[i]);
        if (known.has(name) || (known.size < this.#max && known.add(name))) {
          kept?.push(items[i]);
          continue;
        }
        kept ??= items.slice(0, i);
        this.#refuse(machineId, family);
      }
      if (kept) out = { ...out, [family]: kept };
    }
    return out;
  }

  /** Forgets a machine (when it is removed). */
  forget(machineId: string): void {
    this.#known.delete(machineId);
  }

  #familyOf(machineId: string, family: DeviceFamily): Set<string> {
    let families = this.#known.get(machineId);
    if (!families) this.#known.set(machineId, families = new Map());
    let names = families.get(family);
    if (!names) families.set(family, names = new Set());
    return names;
  }

  #refuse(machineId: string, family: DeviceFamily): void {
    this.#refused.set(family, (this.#refused.get(family) ?? 0) + 1);
    const key = `${machineId}\u0000${family}`;
    if (this.#logged.has(key)) return;
    this.#logged.add(key);
    this.#log(
      `machine ${JSON.stringify(machineId)}: more than ${this.#max} ${family}; ` +
        "samples keep the first ones, further names are not stored (counted in /metrics)",
    );
  }
}
