import assert from "node:assert/strict";
import { createProcessCollector } from "../../../src/worker/collectors/processes.ts";
import { capturedPids, fixture } from "./fixtures.ts";

function collectorAt(root: string, clock: () => number, log?: (m: string) => void) {
  return createProcessCollector({
    procRoot: fixture(`${root}/proc`),
    intervalMs: 5000,
    sampleIntervalMs: 1000,
    top: 5,
    watch: ["yes"],
    cmdline: false,
    clock,
    log,
  });
}

Deno.test("the process collector scans every interval and repeats the counts in between", () => {
  let now = 0;
  const collector = collectorAt("procs-6.1/t1", () => now);
  const first = collector.collect() as Record<string, unknown>;
  const total = capturedPids("procs-6.1/t1").length;
  assert.equal(first.procs, total);
  assert.ok(first.processes, "a scan sample carries the process report");
  for (now = 1000; now <= 4000; now += 1000) {
    const between = collector.collect() as Record<string, unknown>;
    assert.deepEqual(Object.keys(between).sort(), ["processCounts", "procs"]);
    assert.equal(between.processCounts, first.processCounts);
  }
  // due half a sample early: a tick that comes 4.5 s after the scan already scans
  now = 4500;
  assert.ok((collector.collect() as Record<string, unknown>).processes);
});

Deno.test("the process collector fails with a clear error without page size and clock ticks", () => {
  const collector = createProcessCollector({
    procRoot: fixture("linux-6.18/proc"), // a capture without self/auxv
    intervalMs: 5000,
    sampleIntervalMs: 1000,
    top: 5,
    watch: [],
    cmdline: false,
  });
  assert.throws(() => collector.collect(), (error: Error) => /auxv/.test(error.message));
});
