import assert from "node:assert/strict";
import type { Collector } from "../../../src/worker/collectors/collector.ts";
import { createFailureLog } from "../../../src/worker/collectors/failure_log.ts";
import { createCollectorRunner } from "../../../src/worker/collectors/run_collectors.ts";

function failing(message: () => string): Collector {
  return { name: "cpu", collect: () => Promise.reject(new RangeError(message())) };
}
const uptime: Collector = { name: "uptime", collect: () => Promise.resolve({ uptime: 5 }) };

Deno.test("createCollectorRunner() keeps other collectors when one fails, and logs it once", async () => {
  const logged: string[] = [];
  const runner = createCollectorRunner(
    [failing(() => 'Cannot parse /proc/stat: no "cpu" line'), uptime],
    createFailureLog((m) => logged.push(m)),
    1000,
  );
  for (let i = 0; i < 5; i++) assert.deepEqual(await runner.collect(), { uptime: 5 });
  assert.deepEqual(logged, [
    'cpu: Cannot parse /proc/stat: no "cpu" line (its metrics are left out until it recovers)',
  ]);
});

Deno.test("createCollectorRunner() logs a recovery once, then a new failure again", async () => {
  const logged: string[] = [];
  let broken = true;
  const flaky: Collector = {
    name: "memory",
    collect: () => broken ? Promise.reject(new TypeError("gone")) : Promise.resolve({ procs: 1 }),
  };
  const runner = createCollectorRunner([flaky], createFailureLog((m) => logged.push(m)), 1000);
  await runner.collect();
  broken = false;
  assert.deepEqual(await runner.collect(), { procs: 1 });
  await runner.collect();
  broken = true;
  await runner.collect();
  assert.deepEqual(logged, [
    "memory: gone (its metrics are left out until it recovers)",
    "memory: recovered",
    "memory: gone (its metrics are left out until it recovers)",
  ]);
});

Deno.test("createCollectorRunner() answers without a collector that hangs and does not call it again meanwhile", async () => {
  const logged: string[] = [];
  let calls = 0;
  let release: (() => void) | undefined;
  const slow: Collector = {
    name: "disk",
    collect: () => {
      calls++;
      if (calls > 1) return Promise.resolve({ disks: [] });
      return new Promise((resolve) => {
        release = () => resolve({ disks: [] });
      });
    },
  };
  const runner = createCollectorRunner([slow, uptime], createFailureLog((m) => logged.push(m)), 20);
  assert.deepEqual(await runner.collect(), { uptime: 5 });
  assert.deepEqual(await runner.collect(), { uptime: 5 });
  assert.equal(calls, 1);
  release!();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(await runner.collect(), { uptime: 5, disks: [] });
  assert.equal(calls, 2);
  assert.deepEqual(logged, [
    "disk: took over 20 ms (its metrics are left out until it recovers)",
    "disk: still busy with a call that took over 20 ms (its metrics are left out until it recovers)",
    "disk: recovered",
  ]);
});
