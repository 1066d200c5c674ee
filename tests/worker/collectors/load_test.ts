import assert from "node:assert/strict";
import {
  countPids,
  createLoadCollector,
  createProcessCountCollector,
  parseLoadavg,
} from "../../../src/worker/collectors/load.ts";
import { parseUptime } from "../../../src/worker/collectors/uptime.ts";
import { KERNELS, readFixture } from "./fixtures.ts";

for (const kernel of KERNELS) {
  Deno.test(`parseLoadavg() and parseUptime() read ${kernel}`, () => {
    const loadavg = parseLoadavg(readFixture(`${kernel}/proc/loadavg`));
    for (const key of ["1", "5", "15"] as const) assert.ok(loadavg.load[key] >= 0);
    assert.ok(loadavg.running >= 1 && loadavg.total >= loadavg.running);
    assert.ok(parseUptime(readFixture(`${kernel}/proc/uptime`)) > 0);
  });
}

Deno.test("parseLoadavg() splits running and total entities", () => {
  assert.deepEqual(parseLoadavg("0.20 0.10 0.05 3/123 4567\n"), {
    load: { "1": 0.2, "5": 0.1, "15": 0.05 },
    running: 3,
    total: 123,
  });
});

Deno.test("parseLoadavg() rejects a cut-off file", () => {
  assert.throws(() => parseLoadavg(readFixture("malformed/loadavg_truncated")), {
    name: "RangeError",
    message: 'Cannot parse /proc/loadavg: "1.98 1.35 0."',
  });
});

Deno.test("parseUptime() rejects an empty file", () => {
  assert.throws(() => parseUptime(readFixture("malformed/uptime_empty")), RangeError);
  assert.equal(parseUptime("12.5 20.25\n"), 12.5);
});

Deno.test("countPids() counts only numeric /proc entries", () => {
  assert.equal(countPids(["1", "42", "self", "net", "4194304", "thread-self"]), 3);
});

Deno.test("createLoadCollector() and createProcessCountCollector() read procRoot", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/loadavg`, "1.00 0.50 0.25 2/300 999\n");
    for (const name of ["1", "17", "300", "sys"]) await Deno.mkdir(`${root}/${name}`);
    await Deno.writeTextFile(`${root}/99`, "a file, not a process");
    assert.deepEqual(createLoadCollector(root).collect(), {
      load: { "1": 1, "5": 0.5, "15": 0.25 },
      procsRunning: 2,
    });
    assert.deepEqual(createProcessCountCollector(root).collect(), { procs: 3 });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createProcessCountCollector() lists procRoot again only after refreshMs", async () => {
  const root = await Deno.makeTempDir();
  try {
    let now = 0;
    const collector = createProcessCountCollector(root, 5_000, () => now);
    await Deno.mkdir(`${root}/1`);
    assert.deepEqual(collector.collect(), { procs: 1 });
    await Deno.mkdir(`${root}/2`);
    now = 4_999;
    assert.deepEqual(collector.collect(), { procs: 1 });
    now = 5_000;
    assert.deepEqual(collector.collect(), { procs: 2 });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
