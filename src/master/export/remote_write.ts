/**
 * Prometheus remote write 1.0 bodies: a snappy-compressed (block format) protobuf
 * `prometheus.WriteRequest`. Snappy is snappyjs (pure JavaScript, so `deno compile` needs no
 * native addon). The schema, from Prometheus's prompb/types.proto and remote.proto:
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; }
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }  // ms since the epoch
 *
 * The protobuf is written by hand (protobuf_writer.ts) rather than with a general encoder: the
 * schema is fixed, so each series' labels are encoded once and kept as bytes, and every message's
 * length is known before it is written. A general writer (pbf) re-encoded every label string in
 * every request and reserved and shifted each Sample message; in bench/remote_write_bench.ts that
 * was most of the export thread's protobuf time. The tests decode the bodies with pbf's reader.
 */
import SnappyJS from "snappyjs";
import { ProtobufWriter, varintSize } from "./protobuf_writer.ts";
import type { Label, SeriesGroup, SeriesPoints } from "./series_groups.ts";

/** Content headers of a remote-write 1.0 request. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
};

/** One series outside the groups (anomaly events): its labels, name and points. */
interface LooseSeries {
  labels: readonly Label[];
  name: string;
  points: SeriesPoints;
}

/** Field keys (field number << 3 | wire type). */
const TIMESERIES_KEY = (1 << 3) | 2;
const LABEL_KEY = (1 << 3) | 2;
const SAMPLE_KEY = (2 << 3) | 2;
const NAME_KEY = (1 << 3) | 2;
const VALUE_KEY = (2 << 3) | 2;
const DOUBLE_KEY = (1 << 3) | 1;
const TIMESTAMP_KEY = (2 << 3) | 0;

/** Each group's series' encoded Label fields, by metric index; made once per series. */
const labelBytesOf = new WeakMap<SeriesGroup, Uint8Array[]>();

/** Points gathered for one request, grouped per series. */
export class RemoteWriteBatch {
  #groups = new Set<SeriesGroup>();
  #loose: LooseSeries[] = [];
  #writer = new ProtobufWriter();
  /** Points in the batch. */
  points = 0;

  /** Adds the group's current values at `ts`. */
  addGroup(group: SeriesGroup, ts: number): void {
    this.#groups.add(group);
    for (let i = 0; i < group.values.length; i++) {
      const v = group.values[i];
      if (v !== v) continue;
      let p = group.points[i];
      if (!p) p = group.points[i] = { ts: [], values: [] };
      p.ts.push(ts);
      p.values.push(v);
      this.points++;
    }
  }

  /** Adds one point of a series outside the groups. */
  addPoint(labels: readonly Label[], name: string, ts: number, value: number): void {
    this.#loose.push({ labels, name, points: { ts: [ts], values: [value] } });
    this.points++;
  }

  /** The request body (snappy-compressed protobuf); empties the batch. */
  encode(): Uint8Array {
    const w = this.#writer;
    w.reset();
    for (const group of this.#groups) {
      let labels = labelBytesOf.get(group);
      if (!labels) labelBytesOf.set(group, labels = []);
      for (let i = 0; i < group.names.length; i++) {
        const points = group.points[i];
        if (!points || points.ts.length === 0) continue;
        labels[i] ??= encodeLabels(group.labels, group.names[i]);
        writeSeries(w, labels[i], points);
        points.ts.length = 0;
        points.values.length = 0;
      }
    }
    for (const s of this.#loose) writeSeries(w, encodeLabels(s.labels, s.name), s.points);
    this.#groups.clear();
    this.#loose = [];
    this.points = 0;
    return SnappyJS.compress(w.bytes());
  }
}

/** A series' Label fields, sorted by name as the protocol asks; `__name__` among them. */
function encodeLabels(labels: readonly Label[], name: string): Uint8Array {
  const sorted: Label[] = [...labels, ["__name__", name]];
  sorted.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const w = new ProtobufWriter();
  const encoder = new TextEncoder();
  for (const [k, v] of sorted) {
    const key = encoder.encode(k);
    const value = encoder.encode(v);
    w.varint(LABEL_KEY);
    w.varint(1 + varintSize(key.length) + key.length + 1 + varintSize(value.length) + value.length);
    w.varint(NAME_KEY);
    w.varint(key.length);
    w.raw(key);
    w.varint(VALUE_KEY);
    w.varint(value.length);
    w.raw(value);
  }
  return w.bytes().slice();
}

/** One TimeSeries field: its labels' bytes, then a Sample per point. */
function writeSeries(w: ProtobufWriter, labels: Uint8Array, points: SeriesPoints): void {
  sortByTime(points);
  const { ts, values } = points;
  let length = labels.length;
  for (let i = 0; i < ts.length; i++) {
    const sample = 9 + 1 + varintSize(ts[i]);
    length += 1 + varintSize(sample) + sample;
  }
  w.varint(TIMESERIES_KEY);
  w.varint(length);
  w.raw(labels);
  for (let i = 0; i < ts.length; i++) {
    w.varint(SAMPLE_KEY);
    w.varint(9 + 1 + varintSize(ts[i]));
    w.varint(DOUBLE_KEY);
    w.double(values[i]);
    w.varint(TIMESTAMP_KEY);
    w.varint(ts[i]);
  }
}

/** Points arrive in time order, except a worker's late replay; the protocol wants them sorted. */
function sortByTime(points: SeriesPoints): void {
  const { ts, values } = points;
  let sorted = true;
  for (let i = 1; i < ts.length && sorted; i++) sorted = ts[i - 1] <= ts[i];
  if (sorted) return;
  const order = ts.map((_, i) => i).sort((a, b) => ts[a] - ts[b]);
  const t = order.map((i) => ts[i]);
  const v = order.map((i) => values[i]);
  points.ts = t;
  points.values = v;
}
