/**
 * A committed sample as labelled series, named exactly as /metrics names them (prometheus.ts):
 * every metric of the catalogue under its Prometheus name, per-device metrics with their device
 * label, counters as the running totals the master integrates from the sample's rates
 * (counter_totals.ts), plus the anomaly score and verdict. Both export formats (remote write
 * and InfluxDB line protocol) read these groups, so they carry the same names and labels.
 *
 * A group is one label set of one machine: its scalar metrics of a family, or one device of a
 * per-device family. Groups are kept per machine and refilled for every row, so a row costs one
 * pass over its values and no allocation once the machine's devices are known. The master's
 * thread walks the rows (SeriesGroups) and hands the export thread only numbers: a group's id
 * and values per row (RowBuffer), plus each group's labels and names once (GroupDef).
 */
import { ANOMALOUS_METRIC, SCORE_METRIC } from "../../protocol/catalogue.ts";
import {
  COMPILED,
  deviceList,
  deviceName,
  familyObject,
  readPath,
} from "../../protocol/metrics.ts";
import type { Sample } from "../../protocol/sample.ts";
import { CounterTotals } from "../counter_totals.ts";

export type Label = readonly [name: string, value: string];

/** A committed sample, as the master hands it to the exporter. */
export interface ExportRow {
  machine: string;
  /** The machine's display name (the `name` label). */
  name: string;
  sample: Sample;
  /** The detector's score, null during warm-up. */
  score: number | null;
  anomalous: boolean;
}

/** The points of one series waiting to be sent (remote write keeps them on the group). */
export interface SeriesPoints {
  ts: number[];
  values: number[];
}

/** What the export thread learns once about a group: its id, labels and metric names. */
export interface GroupDef {
  id: number;
  /** Labels without `__name__`, sorted by name. */
  labels: readonly Label[];
  /** Prometheus names of the group's metrics. */
  names: readonly string[];
}

/** One label set of a machine and the values of its metrics in the current row. */
export interface SeriesGroup {
  readonly id: number;
  /** Labels without `__name__`, sorted by name. */
  readonly labels: readonly Label[];
  /** Prometheus names of the group's metrics. */
  readonly names: readonly string[];
  /** The current row's value per metric; NaN where the row has none. */
  readonly values: Float64Array;
  /** Per metric, the points buffered for remote write (made on first use). */
  readonly points: (SeriesPoints | undefined)[];
}

interface MachineGroups {
  name: string;
  /** Scalar families' groups by family index, and the anomaly group last. */
  scalars: SeriesGroup[];
  /** Device groups by `familyIndex \0 device`. */
  devices: Map<string, SeriesGroup>;
  counters: CounterTotals;
}

const SCORE_NAMES = [SCORE_METRIC.prom, ANOMALOUS_METRIC.prom] as const;
const ANOMALY_SLOT = COMPILED.length;
/** Label names the exporter sets itself; external labels may not use them. */
export const RESERVED_LABELS: ReadonlySet<string> = new Set([
  "__name__",
  "machine",
  "name",
  ...COMPILED.flatMap((f) => (f.entry.device ? [f.entry.device.promLabel] : [])),
]);

/** A group with empty values and no points (both sides of the export make them). */
export function makeGroup(id: number, labels: Label[], names: readonly string[]): SeriesGroup {
  labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    id,
    labels,
    names,
    values: new Float64Array(names.length),
    points: new Array(names.length).fill(undefined),
  };
}

const NAMES_BY_FAMILY = COMPILED.map((f) => f.metrics.map((m) => m.prom));

function number(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : NaN;
}

/** Turns rows into groups; `common` labels (master, external labels) go on every series. */
export class SeriesGroups {
  readonly #common: readonly Label[];
  readonly #machines = new Map<string, MachineGroups>();
  #nextId = 0;
  #fresh: GroupDef[] = [];

  constructor(common: readonly Label[]) {
    this.#common = common;
  }

  #make(labels: Label[], names: readonly string[]): SeriesGroup {
    const group = makeGroup(this.#nextId++, labels, names);
    this.#fresh.push({ id: group.id, labels: group.labels, names });
    return group;
  }

  /** The groups made since the last call. */
  takeNewGroups(): GroupDef[] {
    const fresh = this.#fresh;
    this.#fresh = [];
    return fresh;
  }

  #machine(row: ExportRow): MachineGroups {
    let m = this.#machines.get(row.machine);
    if (m && m.name === row.name) return m;
    // A renamed machine starts new series (the name is a label), its totals go on.
    const counters = m?.counters ?? new CounterTotals();
    m = { name: row.name, scalars: [], devices: new Map(), counters };
    this.#machines.set(row.machine, m);
    return m;
  }

  #base(m: MachineGroups, machineId: string): Label[] {
    return [...this.#common, ["machine", machineId], ["name", m.name]];
  }

  /** Fills the groups of `row` and calls `visit` for each group the row has values in. */
  forEachGroup(row: ExportRow, visit: (group: SeriesGroup) => void): void {
    const m = this.#machine(row);
    const sample = row.sample;
    m.counters.add(sample);
    for (const family of COMPILED) {
      const { entry, metrics, paths, index } = family;
      const obj = familyObject(sample, entry);
      if (obj === null || typeof obj !== "object") continue;
      const device = entry.device;
      if (!device) {
        const group = m.scalars[index] ??= this.#make(
          this.#base(m, row.machine),
          NAMES_BY_FAMILY[index],
        );
        let any = false;
        for (let i = 0; i < metrics.length; i++) {
          const v = number(readPath(obj, paths[i]));
          group.values[i] = v;
          if (v === v) any = true;
        }
        if (any) visit(group);
        continue;
      }
      const list = deviceList(obj, device);
      if (!list) continue;
      for (let j = 0; j < list.length; j++) {
        const dev = deviceName(list[j], j, device);
        const key = `${index}\0${dev}`;
        let group = m.devices.get(key);
        if (!group) {
          group = this.#make(
            [...this.#base(m, row.machine), [device.promLabel, dev]],
            NAMES_BY_FAMILY[index],
          );
          m.devices.set(key, group);
        }
        const totals = m.counters.device(entry.name, dev)?.totals;
        for (let i = 0; i < metrics.length; i++) {
          group.values[i] = metrics[i].kind === "counter"
            ? (totals ? totals[i] : NaN)
            : number(readPath(list[j], paths[i]));
        }
        visit(group);
      }
    }
    const anomaly = m.scalars[ANOMALY_SLOT] ??= this.#make(
      this.#base(m, row.machine),
      SCORE_NAMES,
    );
    anomaly.values[0] = row.score ?? NaN;
    anomaly.values[1] = row.anomalous ? 1 : 0;
    visit(anomaly);
  }
}

/** A machine's labels (for anomaly events): `common`, machine and name, sorted. */
export function machineLabels(common: readonly Label[], machineId: string, name: string): Label[] {
  const labels: Label[] = [...common, ["machine", machineId], ["name", name]];
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Rows as numbers, for the trip to the export thread: per group of a row, `[group id, ts,
 * value...]` (as many values as the group has names; NaN where none) in one growing
 * Float64Array whose buffer is transferred, not copied.
 */
export class RowBuffer {
  #data = new Float64Array(1 << 16);
  #length = 0;

  write(group: SeriesGroup, ts: number): void {
    const n = group.values.length;
    if (this.#length + n + 2 > this.#data.length) {
      const bigger = new Float64Array(Math.max(this.#data.length * 2, this.#length + n + 2));
      bigger.set(this.#data.subarray(0, this.#length));
      this.#data = bigger;
    }
    const d = this.#data;
    const values = group.values;
    let at = this.#length;
    d[at++] = group.id;
    d[at++] = ts;
    for (let i = 0; i < n; i++) d[at++] = values[i]; // faster than set() for a handful
    this.#length = at;
  }

  /** The records written so far (a fresh buffer takes over). */
  take(): Float64Array {
    const out = this.#data.subarray(0, this.#length);
    this.#data = new Float64Array(Math.max(1 << 16, this.#length));
    this.#length = 0;
    return out;
  }
}

/**
 * The export thread's side: the groups by id, refilled from each record of a RowBuffer's data.
 */
export class GroupTable {
  readonly #groups: SeriesGroup[] = [];

  define(defs: readonly GroupDef[]): void {
    for (const d of defs) this.#groups[d.id] = makeGroup(d.id, [...d.labels], d.names);
  }

  /** Calls `visit` with each record's group (its values filled in) and timestamp. */
  forEachRecord(data: Float64Array, visit: (group: SeriesGroup, ts: number) => void): void {
    let i = 0;
    while (i < data.length) {
      const group = this.#groups[data[i]];
      if (!group) {
        throw new Error(`export: a record names group ${data[i]}, which was never defined`);
      }
      const n = group.values.length;
      group.values.set(data.subarray(i + 2, i + 2 + n));
      visit(group, data[i + 1]);
      i += n + 2;
    }
  }
}
