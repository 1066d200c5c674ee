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
 * through pbf's generated code: that code wants one object per sample, which doubled the cost
 * per value in bench/remote_write_bench.ts.
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
      for (let i = 0; i < group.names.length; i++) {
        const points = group.points[i];
        if (!points || points.ts.length === 0) continue;
        writeSeries(pbf, group.labels, group.names[i], points);
        points.ts.length = 0;
        points.values.length = 0;
      }
    }
    for (const s of this.#loose) writeSeries(pbf, s.labels, s.name, s.points);
    this.#groups.clear();
    this.#loose = [];
    this.points = 0;
    return SnappyJS.compress(pbf.finish());
  }
}

interface SeriesToWrite {
  labels: readonly Label[];
  name: string;
  points: SeriesPoints;
}

const current: SeriesToWrite = { labels: [], name: "", points: { ts: [], values: [] } };

function writeSeries(
  pbf: PbfWriter,
  labels: readonly Label[],
  name: string,
  points: SeriesPoints,
): void {
  sortByTime(points);
  current.labels = labels;
  current.name = name;
  current.points = points;
  pbf.writeMessage(1, writeTimeSeries, current);
}

function writeLabel(name: string, value: string, pbf: PbfWriter): void {
  pbf.writeMessage(1, writeLabelFields, [name, value]);
}

function writeLabelFields(label: readonly [string, string], pbf: PbfWriter): void {
  pbf.writeStringField(1, label[0]);
  pbf.writeStringField(2, label[1]);
}

let sampleValue = 0;
let sampleTs = 0;

function writeSampleFields(_: unknown, pbf: PbfWriter): void {
  pbf.writeDoubleField(1, sampleValue);
  pbf.writeVarintField(2, sampleTs);
}

function writeTimeSeries(s: SeriesToWrite, pbf: PbfWriter): void {
  // Labels sorted by name, as the protocol asks; `__name__` takes its place among them.
  let named = false;
  for (const [k, v] of s.labels) {
    if (!named && k > "__name__") {
      writeLabel("__name__", s.name, pbf);
      named = true;
    }
    writeLabel(k, v, pbf);
  }
  if (!named) writeLabel("__name__", s.name, pbf);
  const { ts, values } = s.points;
  for (let i = 0; i < ts.length; i++) {
    sampleValue = values[i];
    sampleTs = ts[i];
    pbf.writeMessage(2, writeSampleFields, undefined);
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
