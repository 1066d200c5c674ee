import assert from "node:assert/strict";
import {
  culpritsFor,
  describeCauseWithProcesses,
  measureFor,
} from "../../src/protocol/describe_processes.ts";
import { describeCause } from "../../src/protocol/describe.ts";
import { parseFaultSpec } from "../../src/cli/fault_spec.ts";
import { createMachineModel } from "../../src/simulate/machine_model.ts";

Deno.test("a cause's metric picks the process figure that explains it", () => {
  const cases: [string, string][] = [
    ["cpu.usage", "cpu"],
    ["core:3:usage", "cpu"],
    ["load.perCore", "cpu"],
    ["net.rxBps", "cpu"],
    ["mem.usedPct", "rss"],
    ["mem.growth", "rss"],
    ["pressure.memory.some10", "rss"],
    ["disk:vda:writeBps", "writeBps"],
    ["disk.readBps", "readBps"],
    ["disk.iops", "io"],
    ["cpu.iowait", "io"],
    ["pressure.io.full10", "io"],
  ];
  for (const [metric, measure] of cases) assert.equal(measureFor(metric), measure, metric);
});

Deno.test("each simulated fault's cause names the process that caused it, first", () => {
  const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
  const ctx = { seed: "7", namePrefix: "sim", workers: 12, startMs: T0, durationMs: 3_600_000 };
  const metricOf = {
    cpu: "cpu.usage",
    memleak: "mem.usedPct",
    disk: "disk.writeBps",
    net: "net.rxBps",
  };
  for (let index = 0; index < 12; index++) {
    const faults = parseFaultSpec(
      `cpu@0m+5m:${index},memleak@10m+5m:${index},disk@20m+5m:${index}`,
      ctx,
    );
    const model = createMachineModel("7", index, { faults });
    for (const fault of faults) {
      const top = model.sampleAt(fault.end - 60_000 + 300).processes!.top;
      const [first] = culpritsFor(metricOf[fault.kind], top);
      assert.equal(first.name, fault.process, `${fault.kind} on ${index}`);
    }
  }
});

Deno.test("the cause reads with its processes, the first with its pid", () => {
  const top = [
    { pid: 900, name: "postgres", cpu: 40.2, rss: 3e8, readBps: 0, writeBps: 5e6, start: 1 },
    { pid: 4121, name: "ffmpeg", cpu: 180, rss: 1.2e8, readBps: 2e6, writeBps: 0, start: 2 },
    { pid: 77, name: "sshd", cpu: 0, rss: 8e6, readBps: 0, writeBps: 0 },
  ];
  const cause = { metric: "cpu.usage", value: 98, normalLow: 5, normalHigh: 35 };
  assert.equal(
    describeCauseWithProcesses(cause, culpritsFor("cpu.usage", top)),
    `${describeCause(cause)}: ffmpeg (pid 4121) 180 %, postgres 40 %`,
  );
  assert.match(describeCause(cause), /^CPU 98 % \(usually .*35 %\)$/);
  assert.match(
    describeCauseWithProcesses(
      { metric: "mem.used", value: 7.5 * 2 ** 30, normalLow: 2 * 2 ** 30, normalHigh: 3 * 2 ** 30 },
      culpritsFor("mem.used", top, 2),
    ),
    /: postgres \(pid 900\) 286 MiB, ffmpeg 114 MiB$/,
  );
  assert.equal(
    describeCauseWithProcesses(cause, culpritsFor("cpu.usage", [])),
    describeCause(cause),
    "no scan, no names",
  );
});
