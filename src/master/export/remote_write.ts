/**
 * Prometheus remote write 1.0 bodies: a snappy-compressed (block format) protobuf
 * `prometheus.WriteRequest`. The protobuf wire encoding (varints, doubles, length-delimited
 * fields) is pbf's; snappy is snappyjs (pure JavaScript, so `deno compile` needs no native
 * addon). The schema, from Prometheus's prompb/types.proto and remote.proto:
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; }
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }  // ms since the epoch
 *
 * The messages are written straight from the series buffers with pbf's writer rather than
 * through pbf's generated code, which wants one object per sample. Each series' Label fields are
 * encoded once (with pbf) and kept as bytes, and every TimeSeries' and Sample's length is known
 * before it is written, so pbf never reserves and shifts.
 */
import { PbfWriter } from "pbf";
import SnappyJS from "snappyjs";
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

/** Protobuf's wire type of strings, bytes and embedded messages. */
const LENGTH_DELIMITED = 2;

/** Each group's series' Label fields, encoded, by metric index; made once per series. */
const labelsOf = new WeakMap<SeriesGroup, Uint8Array[]>();

/** Points gathered for one request, grouped per series. */
export class RemoteWriteBatch {
  #groups = new Set<SeriesGroup>();
  #loose: LooseSeries[] = [];
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
    // About 20 bytes per point plus labels; starting near the final size spares the doublings.
    const pbf = new PbfWriter(new Uint8Array(Math.max(1024, this.points * 24)));
    for (const group of this.#groups) {
      let labels = labelsOf.get(group);
      if (!labels) labelsOf.set(group, labels = []);
      for (let i = 0; i < group.names.length; i++) {
        const points = group.points[i];
        if (!points || points.ts.length === 0) continue;
        labels[i] ??= encodeLabels(group.labels, group.names[i]);
        writeSeries(pbf, labels[i], points);
        points.ts.length = 0;
        points.values.length = 0;
      }
    }
    for (const s of this.#loose) writeSeries(pbf, encodeLabels(s.labels, s.name), s.points);
    this.#groups.clear();
    this.#loose = [];
    this.points = 0;
    return SnappyJS.compress(pbf.finish());
  }
}

/** Bytes a non-negative integer takes as a protobuf varint. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Bytes of a length-delimited field with a one-byte key. */
const fieldSize = (length: number) => 1 + varintSize(length) + length;

/** A series' Label fields, sorted by name as the protocol asks; `__name__` among them. */
function encodeLabels(labels: readonly Label[], name: string): Uint8Array {
  const sorted: Label[] = [...labels, ["__name__", name]];
  sorted.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const pbf = new PbfWriter();
  for (const label of sorted) pbf.writeMessage(1, writeLabelFields, label);
  return pbf.finish().slice();
}

function writeLabelFields(label: Label, pbf: PbfWriter): void {
  pbf.writeStringField(1, label[0]);
  pbf.writeStringField(2, label[1]);
}

/** One TimeSeries field: its Label fields, then a Sample per point. */
function writeSeries(pbf: PbfWriter, labels: Uint8Array, points: SeriesPoints): void {
  sortByTime(points);
  const { ts, values } = points;
  // Sample: double field (1 + 8 bytes) and timestamp varint field (1 + its varint). Sorted
  // timestamps whose first and last take as many varint bytes all do (nearly always).
  const first = varintSize(ts[0]);
  const sameSize = first === varintSize(ts[ts.length - 1]);
  let length = labels.length;
  if (sameSize) length += ts.length * fieldSize(10 + first);
  else for (let i = 0; i < ts.length; i++) length += fieldSize(10 + varintSize(ts[i]));
  pbf.writeTag(1, LENGTH_DELIMITED);
  pbf.writeVarint(length);
  // the encoded labels as they are (pbf's writeBytes would put a length before them)
  pbf.realloc(labels.length);
  pbf.buf.set(labels, pbf.pos);
  pbf.pos += labels.length;
  for (let i = 0; i < ts.length; i++) {
    pbf.writeTag(2, LENGTH_DELIMITED);
    pbf.writeVarint(10 + (sameSize ? first : varintSize(ts[i])));
    pbf.writeDoubleField(1, values[i]);
    pbf.writeVarintField(2, ts[i]);
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
