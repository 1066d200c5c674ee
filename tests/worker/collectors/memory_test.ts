import assert from "node:assert/strict";
import { memMetrics, parseMeminfo } from "../../../src/worker/collectors/memory.ts";
import { KERNELS, readFixture } from "./fixtures.ts";

for (const kernel of KERNELS) {
  Deno.test(`memMetrics() uses MemAvailable on ${kernel}`, () => {
    const fields = parseMeminfo(readFixture(`${kernel}/proc/meminfo`));
    const mem = memMetrics(fields);
    assert.equal(mem.total, fields.get("MemTotal"));
    assert.equal(mem.available, fields.get("MemAvailable"));
    assert.equal(mem.used, mem.total - mem.available);
    assert.equal(mem.cached, fields.get("Cached"));
    assert.equal(mem.buffers, fields.get("Buffers"));
    assert.ok(mem.usedPct > 0 && mem.usedPct < 100);
    assert.equal(mem.swapUsed, fields.get("SwapTotal")! - fields.get("SwapFree")!);
  });
}

Deno.test("parseMeminfo() converts kB to bytes and keeps unitless counts", () => {
  const fields = parseMeminfo("MemTotal:       1000 kB\nHugePages_Total:       3\n");
  assert.equal(fields.get("MemTotal"), 1024000);
  assert.equal(fields.get("HugePages_Total"), 3);
});

Deno.test("memMetrics() estimates available on kernels before 3.14 (no MemAvailable)", () => {
  const old = [
    "MemTotal: 1000 kB",
    "MemFree: 100 kB",
    "Buffers: 50 kB",
    "Cached: 300 kB",
    "SReclaimable: 40 kB",
    "Shmem: 20 kB",
    "SwapTotal: 0 kB",
    "SwapFree: 0 kB",
  ].join("\n");
  const mem = memMetrics(parseMeminfo(old));
  assert.equal(mem.available, 470 * 1024);
  assert.equal(mem.used, 530 * 1024);
  assert.equal(mem.usedPct, 53);
  assert.equal(mem.swapUsed, 0);
});

Deno.test("parseMeminfo() rejects a file cut off mid-line", () => {
  assert.throws(
    () => parseMeminfo(readFixture("malformed/meminfo_truncated")),
    (e) =>
      e instanceof RangeError && /Cannot parse \/proc\/meminfo line \d+: "Inac"/.test(e.message),
  );
});

Deno.test("parseMeminfo() rejects a value that is not a number", () => {
  assert.throws(() => parseMeminfo(readFixture("malformed/meminfo_garbage")), RangeError);
});

Deno.test("memMetrics() names the missing MemTotal line", () => {
  const fields = parseMeminfo(readFixture("malformed/meminfo_no_total"));
  assert.throws(() => memMetrics(fields), {
    name: "TypeError",
    message: 'Cannot parse /proc/meminfo: no "MemTotal" line',
  });
});
