/** The export formats: names and labels from the catalogue, counters as totals, valid bodies. */
import assert from "node:assert/strict";
import { PbfReader } from "pbf";
import SnappyJS from "snappyjs";
import { flattenSample, metricOf } from "../../src/protocol/metrics.ts";
import { LineProtocolBatch } from "../../src/master/export/line_protocol.ts";
import { RemoteWriteBatch } from "../../src/master/export/remote_write.ts";
import {
  type ExportRow,
  GroupTable,
  RowBuffer,
  SeriesGroups,
} from "../../src/master/export/series_groups.ts";
import { createMachineModel } from "../../src/simulate/machine_model.ts";

const T0 = 1_700_000_000_000;

function rows(n: number, name = "web 1"): ExportRow[] {
  const model = createMachineModel("encoding", 0);
  return Array.from({ length: n }, (_, i) => ({
    machine: "m-1",
    name,
    sample: model.sampleAt(T0 + i * 1000, i),
    score: i === 0 ? null : 0.25,
    anomalous: i === 2,
  }));
}

interface DecodedSeries {
  labels: [string, string][];
  samples: [number, number][];
}

/** Decodes a remote-write body with pbf's reader, field by field (WriteRequest schema). */
function decode(body: Uint8Array): DecodedSeries[] {
  const pbf = new PbfReader(SnappyJS.uncompress(body));
  return pbf.readFields((tag, out: DecodedSeries[], p) => {
    assert.equal(tag, 1);
    out.push(p!.readMessage((t, s: DecodedSeries, q) => {
      if (t === 1) {
        const label = q!.readMessage((u, l: string[], r) => {
          l[u - 1] = r!.readString();
        }, [] as string[]);
        s.labels.push([label[0], label[1]]);
      } else {
        assert.equal(t, 2);
        const sample = q!.readMessage((u, v: number[], r) => {
          v[u - 1] = u === 1 ? r!.readDouble() : r!.readVarint(true);
        }, [] as number[]);
        s.samples.push([sample[0], sample[1]]);
      }
    }, { labels: [], samples: [] }));
  }, [] as DecodedSeries[]);
}

function encodeRows(input: ExportRow[]) {
  const groups = new SeriesGroups([["master", "a"], ["site", "lab"]]);
  const batch = new RemoteWriteBatch();
  for (const row of input) groups.forEachGroup(row, (g) => batch.addGroup(g, row.sample.ts));
  const points = batch.points;
  return { points, series: decode(batch.encode()), batch };
}

Deno.test("remote write: one series per catalogue metric and device, labels sorted, samples per row", () => {
  const { points, series } = encodeRows(rows(3));
  const names = new Set(series.map((s) => s.labels.find(([k]) => k === "__name__")![1]));
  // Every metric the sample carries is there, under its catalogue (/metrics) name.
  const sample = createMachineModel("encoding", 0).sampleAt(T0 + 2000, 2);
  const expected = [...flattenSample(sample).keys()].map((key) => metricOf(key)!.prom);
  assert.ok(expected.length > 30);
  for (const name of expected) assert.ok(names.has(name), name);
  assert.ok(names.has("gridmon_anomaly_score") && names.has("gridmon_anomalous"));
  let total = 0;
  for (const s of series) {
    const keys = s.labels.map(([k]) => k);
    assert.deepEqual(keys, [...keys].sort(), "labels sorted by name");
    assert.ok(keys.includes("machine") && keys.includes("name") && keys.includes("master"));
    assert.ok(s.samples.every(([v]) => Number.isFinite(v)));
    assert.deepEqual(
      s.samples.map(([, ts]) => ts),
      s.samples.map((_, i) => T0 + (3 - s.samples.length + i) * 1000),
    );
    total += s.samples.length;
  }
  assert.equal(total, points);
  const score = series.find((s) =>
    s.labels.some(([k, v]) => k === "__name__" && v === "gridmon_anomaly_score")
  )!;
  assert.deepEqual(
    score.samples,
    [[0.25, T0 + 1000], [0.25, T0 + 2000]],
    "no score during warm-up",
  );
  const anomalous = series.find((s) => s.labels.some(([, v]) => v === "gridmon_anomalous"))!;
  assert.deepEqual(anomalous.samples.map(([v]) => v), [0, 0, 1]);
});

Deno.test("remote write: counters are running totals of rate x interval, as /metrics has them", () => {
  const input = rows(3);
  const { series } = encodeRows(input);
  const rx = series.find((s) =>
    s.labels.some(([, v]) => v === "gridmon_network_receive_bytes_total")
  )!;
  const device = rx.labels.find(([k]) => k === "device")![1];
  const rate = (i: number) => input[i].sample.net!.find((n) => n.iface === device)!.rxBps ?? 0;
  assert.deepEqual(rx.samples.map(([v]) => v), [0, rate(1), rate(1) + rate(2)]);
});

Deno.test("remote write: a batch empties on encode, and a series' late point is sorted into place", () => {
  const input = rows(3);
  const groups = new SeriesGroups([["master", "a"]]);
  const batch = new RemoteWriteBatch();
  for (const row of [input[0], input[2], input[1]]) {
    groups.forEachGroup(row, (g) => batch.addGroup(g, row.sample.ts));
  }
  const mem = decode(batch.encode()).find((s) =>
    s.labels.some(([, v]) => v === "gridmon_memory_used_bytes")
  )!;
  assert.deepEqual(mem.samples.map(([, ts]) => ts), [T0, T0 + 1000, T0 + 2000]);
  assert.equal(batch.points, 0);
  assert.deepEqual(decode(batch.encode()), []);
});

Deno.test("line protocol: one line per label set, fields named like /metrics without gridmon_, escaped tags", () => {
  const input = rows(2, "web 1,eu=2");
  const groups = new SeriesGroups([["master", "a b"]]);
  const batch = new LineProtocolBatch();
  for (const row of input) groups.forEachGroup(row, (g) => batch.addGroup(g, row.sample.ts));
  const points = batch.points;
  const lines = new TextDecoder().decode(batch.encode()).trimEnd().split("\n");
  const cpu = lines.find((l) => /[ ,]cpu_usage_percent=/.test(l))!;
  assert.match(cpu, /^gridmon,machine=m-1,master=a\\ b,name=web\\ 1\\,eu\\=2 /);
  assert.match(cpu, / 1700000000000$/);
  assert.ok(lines.some((l) => /,device=\S+ .*network_receive_bytes_total=/.test(l)));
  const fields = lines.reduce((n, l) => n + l.split(" ").slice(-2, -1)[0].split(",").length, 0);
  assert.equal(fields, points);
});

Deno.test("hand-over: rows as numbers (RowBuffer) rebuilt by the export thread's GroupTable encode the same", () => {
  const input = rows(3);
  const direct = encodeRows(input).series;
  const groups = new SeriesGroups([["master", "a"], ["site", "lab"]]);
  const buffer = new RowBuffer();
  for (const row of input) groups.forEachGroup(row, (g) => buffer.write(g, row.sample.ts));
  const table = new GroupTable();
  table.define(structuredClone(groups.takeNewGroups()));
  assert.deepEqual(groups.takeNewGroups(), [], "each group is defined once");
  const batch = new RemoteWriteBatch();
  table.forEachRecord(structuredClone(buffer.take()), (g, ts) => batch.addGroup(g, ts));
  assert.deepEqual(decode(batch.encode()), direct);
  assert.throws(
    () => new GroupTable().forEachRecord(new Float64Array([7, T0, 1]), () => {}),
    /group 7, which was never defined/,
  );
});
