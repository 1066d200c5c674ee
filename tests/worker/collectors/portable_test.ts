import assert from "node:assert/strict";
import { osCpuMetrics, portableCollectors } from "../../../src/worker/collectors/portable.ts";
import { CpuSchema, MemSchema } from "../../../src/protocol/sample.ts";

const core = (user: number, sys: number, idle: number) => ({ user, nice: 0, sys, idle, irq: 0 });

Deno.test("osCpuMetrics() is null on the first reading", () => {
  const cpu = osCpuMetrics(undefined, [core(10, 10, 80)]);
  assert.equal(cpu.usage, null);
  assert.deepEqual(cpu.cores, [null]);
});

Deno.test("osCpuMetrics() sums cores for the total and keeps each core's own usage", () => {
  const cpu = osCpuMetrics([core(0, 0, 0), core(0, 0, 0)], [core(30, 10, 60), core(0, 0, 100)]);
  assert.deepEqual(cpu.cores, [40, 0]);
  assert.equal(cpu.usage, 20);
  assert.equal(cpu.user, 15);
  assert.equal(cpu.system, 5);
  assert.equal(cpu.idle, 80);
  assert.equal("iowait" in cpu, false, "node:os has no iowait: absent, not 0");
});

Deno.test("osCpuMetrics() stays within 0..100 when times go backwards or a core appears", () => {
  const cpu = osCpuMetrics([core(100, 100, 100)], [core(50, 110, 130), core(5, 5, 5)]);
  assert.deepEqual(cpu.cores, [25, null]); // user went back: 0; sys 10, idle 30
  assert.ok(cpu.usage! >= 0 && cpu.usage! <= 100);
});

Deno.test("portableCollectors() read valid cpu and memory here and leave load out on windows", async () => {
  const collectors = portableCollectors("darwin");
  assert.deepEqual(collectors.map((c) => c.name), ["cpu", "memory", "uptime", "load"]);
  assert.deepEqual(portableCollectors("windows").map((c) => c.name), ["cpu", "memory", "uptime"]);
  const [cpu, mem] = collectors;
  await cpu.collect();
  CpuSchema.parse((await cpu.collect()).cpu);
  MemSchema.parse((await mem.collect()).mem);
});
