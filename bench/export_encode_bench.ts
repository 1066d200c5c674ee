/**
 * `deno task bench export_encode`: the export's CPU per sample row, stage by stage, in one process
 * (no servers): the walk into series groups on the master's thread (SeriesGroups + RowBuffer),
 * then on the export thread rebuilding and batching the rows (GroupTable + addGroup) and encoding
 * the request body (remote write: protobuf + snappy; InfluxDB line protocol). 200 simulated
 * machines, 5 rows each per batch (a batch is about a second of the export at 1,000 rows/s).
 * CPU time from process.cpuUsage(), so other processes on the machine inflate it less than wall
 * time; rounds interleave the stages.
 */
import process from "node:process";
import { LineProtocolBatch } from "../src/master/export/line_protocol.ts";
import { RemoteWriteBatch } from "../src/master/export/remote_write.ts";
import {
  type ExportRow,
  GroupTable,
  RowBuffer,
  SeriesGroups,
} from "../src/master/export/series_groups.ts";
import { createMachineModel } from "../src/simulate/machine_model.ts";
import { loadAverage } from "./process_stats.ts";

const MACHINES = 200;
const ROWS_PER_MACHINE = 5;
const ROUNDS = 40;
const WARM_UP = 4;
const T0 = Date.UTC(2026, 0, 1);

const rows: ExportRow[] = [];
for (let m = 0; m < MACHINES; m++) {
  const model = createMachineModel(`bench-${m}`, m);
  for (let i = 0; i < ROWS_PER_MACHINE; i++) {
    rows.push({
      machine: `m-${m}`,
      name: `web ${m}`,
      sample: model.sampleAt(T0 + i * 1000, i),
      score: 0.25,
      anomalous: false,
    });
  }
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const groups = new SeriesGroups([["master", "bench"], ["site", "lab"]]);
const table = new GroupTable();
const remoteWrite = new RemoteWriteBatch();
const lineProtocol = new LineProtocolBatch();
const spent = { walk: 0, batchRw: 0, encodeRw: 0, batchLp: 0, encodeLp: 0 };
let bytes = { rw: 0, lp: 0 };
let points = 0;

const loadBefore = await loadAverage();
for (let round = 0; round < ROUNDS; round++) {
  const counted = round >= WARM_UP;
  const add = (stage: keyof typeof spent, since: number) => {
    if (counted) spent[stage] += cpuMicros() - since;
  };
  let t = cpuMicros();
  const buffer = new RowBuffer();
  for (const row of rows) groups.forEachGroup(row, (g) => buffer.write(g, row.sample.ts));
  add("walk", t);
  table.define(groups.takeNewGroups());
  const data = buffer.take();

  t = cpuMicros();
  table.forEachRecord(data, (g, ts) => remoteWrite.addGroup(g, ts));
  add("batchRw", t);
  points = remoteWrite.points;
  t = cpuMicros();
  const rw = remoteWrite.encode();
  add("encodeRw", t);

  t = cpuMicros();
  table.forEachRecord(data, (g, ts) => lineProtocol.addGroup(g, ts));
  add("batchLp", t);
  t = cpuMicros();
  const lp = lineProtocol.encode();
  add("encodeLp", t);
  bytes = { rw: rw.length, lp: lp.length };
}

const perRow = (micros: number) => (micros / (ROUNDS - WARM_UP) / rows.length).toFixed(1);
console.log(
  `machine: ${navigator.hardwareConcurrency} CPUs, load average before: ${loadBefore}, after: ${await loadAverage()}\n`,
);
console.log(`${rows.length} rows per batch, ${(points / rows.length).toFixed(1)} values per row\n`);
console.log("| stage | thread | CPU µs per row | body bytes per value |");
console.log("|---|---|---:|---:|");
console.log(`| walk into series groups + RowBuffer | master | ${perRow(spent.walk)} | |`);
console.log(`| remote write: rebuild + batch | export | ${perRow(spent.batchRw)} | |`);
console.log(
  `| remote write: protobuf + snappy | export | ${perRow(spent.encodeRw)} | ${
    (bytes.rw / points).toFixed(2)
  } |`,
);
console.log(`| line protocol: rebuild + batch | export | ${perRow(spent.batchLp)} | |`);
console.log(
  `| line protocol: encode | export | ${perRow(spent.encodeLp)} | ${
    (bytes.lp / points).toFixed(2)
  } |`,
);
