import assert from "node:assert/strict";
import {
  createTemperatureCollector,
  parseMillidegrees,
} from "../../../src/worker/collectors/temperatures.ts";
import { fixture } from "./fixtures.ts";

Deno.test("createTemperatureCollector() reads hwmon sensors with labels, in numeric order", async () => {
  const { temps } = await createTemperatureCollector(fixture("hwmon-synthetic/sys")).collect();
  assert.deepEqual(temps, [
    { sensor: "coretemp", label: "Package id 0", celsius: 45 },
    { sensor: "coretemp", label: "temp2", celsius: 43 },
    { sensor: "coretemp", label: "temp10", celsius: 41.5 },
    { sensor: "nvme", label: "Composite", celsius: 38.85 },
    { sensor: "acpitz", label: "temp1", celsius: -5 },
  ]);
});

Deno.test("createTemperatureCollector() leaves temps absent without /sys/class/hwmon", async () => {
  // Neither captured kernel exposes a sensor: their sys trees have no class/hwmon.
  assert.deepEqual(await createTemperatureCollector(fixture("linux-6.18/sys")).collect(), {});
});

Deno.test("createTemperatureCollector() rejects a sensor value that is not millidegrees", async () => {
  await assert.rejects(
    async () => await createTemperatureCollector(fixture("hwmon-malformed/sys")).collect(),
    /Cannot parse .*hwmon0\/temp1_input: "N\/A" is not millidegrees/,
  );
});

Deno.test("parseMillidegrees() divides by 1000", () => {
  assert.equal(parseMillidegrees("51234\n", "x"), 51.234);
  assert.throws(() => parseMillidegrees("", "x"), RangeError);
});

Deno.test("createTemperatureCollector() lists sensors again only after rescanMs", async () => {
  const sys = await Deno.makeTempDir();
  try {
    let now = 0;
    const collector = createTemperatureCollector(sys, 60_000, () => now);
    assert.deepEqual(await collector.collect(), {});
    const dir = `${sys}/class/hwmon/hwmon0`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/name`, "k10temp\n");
    await Deno.writeTextFile(`${dir}/temp1_input`, "41000\n");
    now = 59_999;
    assert.deepEqual(await collector.collect(), {});
    now = 60_000;
    assert.deepEqual(await collector.collect(), {
      temps: [{ sensor: "k10temp", label: "temp1", celsius: 41 }],
    });
    await Deno.writeTextFile(`${dir}/temp1_input`, "42500\n");
    now = 60_001;
    assert.deepEqual(await collector.collect(), {
      temps: [{ sensor: "k10temp", label: "temp1", celsius: 42.5 }],
    });
  } finally {
    await Deno.remove(sys, { recursive: true });
  }
});
