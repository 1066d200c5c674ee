import assert from "node:assert/strict";
import {
  describeCause,
  describeValue,
  formatMetric,
  meaningOf,
} from "../../src/protocol/describe.ts";

const MiB = 2 ** 20;

Deno.test("describeCause() says label, value, device and the usual range in one unit", () => {
  const cause = {
    metric: "net:eth0:rxBps",
    value: 899 * MiB,
    normalLow: 5 * MiB,
    normalHigh: 14 * MiB,
  };
  assert.equal(describeCause(cause), "Network in 899 MiB/s on eth0 (usually 5–14 MiB/s)");
  assert.equal(
    describeCause({ metric: "cpu.usage", value: 97.2, normalLow: 3, normalHigh: 12.5 }),
    "CPU 97 % (usually 3.0–13 %)",
  );
  assert.equal(
    describeCause({ metric: "disk.writeBps", value: 2 * MiB, normalLow: 512, normalHigh: MiB }),
    "Disk write 2 MiB/s (usually 512 B/s–1 MiB/s)",
  );
});

Deno.test("describeValue() words series keys, alert patterns and detector features", () => {
  assert.equal(describeValue("core:3:usage", 97), "CPU 97 % on core 3");
  assert.equal(describeValue("fs:/var:usedPct", 91.2), "Filesystem usage 91 % on /var");
  assert.equal(describeValue("fs:*:usedPct", 91.2), "Filesystem usage 91 %");
  assert.equal(
    describeValue("temp:coretemp/Core 0:celsius", 81),
    "Temperature 81.0 °C at coretemp/Core 0",
  );
  assert.equal(describeValue("net:eth0:rxErrors", 3), "Receive errors 3/s on eth0");
  assert.equal(describeValue("net.pps", 1200), "Packets 1200/s");
  assert.equal(describeValue("load.perCore", 3.2), "Load per core 3.2");
  assert.equal(describeValue("mem.swapUsed", 3 * 2 ** 30), "Swap used 3 GiB");
  assert.equal(describeValue("uptime", 90061), "Uptime 1 d 1 h");
  assert.equal(describeValue("anomaly.score", 0.873), "Anomaly score 0.87");
  assert.equal(describeValue("mystery.metric", 3), "mystery.metric 3");
  assert.equal(describeValue("cpu.usage", null), "CPU –");
});

Deno.test("meaningOf() and formatMetric() agree with the catalogue's units", () => {
  assert.deepEqual(meaningOf("net:eth0:txDrops"), {
    label: "Transmit drops",
    unit: "per_second",
    where: "on eth0",
  });
  assert.equal(formatMetric("mem.used", 1536), "1.5 KiB");
  assert.equal(formatMetric("disk:vda:utilPct", 5.25), "5.3 %");
});
