import assert from "node:assert/strict";
import { createPressureCollector, parsePressure } from "../../../src/worker/collectors/pressure.ts";
import { fixture, KERNELS, readFixture } from "./fixtures.ts";

for (const kernel of KERNELS) {
  Deno.test(`parsePressure() reads some and full lines of ${kernel}`, () => {
    for (const resource of ["cpu", "memory", "io"]) {
      const line = parsePressure(readFixture(`${kernel}/proc/pressure/${resource}`), resource);
      assert.ok(line.some10 >= 0 && line.some10 <= 100);
      assert.equal(typeof line.full300, "number");
    }
  });

  Deno.test(`createPressureCollector() reads all three files of ${kernel}`, async () => {
    const { pressure } = await createPressureCollector(fixture(`${kernel}/proc`)).collect();
    assert.deepEqual(Object.keys(pressure!), ["cpu", "memory", "io"]);
  });
}

Deno.test("parsePressure() keeps a cpu file without a full line (kernels before 5.13)", () => {
  const line = parsePressure("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n", "cpu");
  assert.deepEqual(line, { some10: 1.5, some60: 0.25, some300: 0 });
});

Deno.test("parsePressure() rejects truncated and some-less files", () => {
  assert.throws(
    () => parsePressure(readFixture("malformed/pressure_truncated"), "io"),
    { name: "RangeError", message: 'Cannot parse /proc/pressure/io: "some avg10=0.00 avg60=0.00"' },
  );
  assert.throws(
    () => parsePressure(readFixture("malformed/pressure_no_some"), "memory"),
    { name: "TypeError", message: 'Cannot parse /proc/pressure/memory: no "some" line' },
  );
});

Deno.test("createPressureCollector() leaves pressure absent on a kernel without PSI", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.deepEqual(await createPressureCollector(root).collect(), {});
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
