import assert from "node:assert/strict";
import {
  createDiskCollector,
  diskMetrics,
  isPhysicalDisk,
  looksPhysical,
  parseDiskstats,
} from "../../../src/worker/collectors/disk.ts";
import { fixture, KERNELS, readFixture } from "./fixtures.ts";

for (const kernel of KERNELS) {
  Deno.test(`parseDiskstats() reads every device of ${kernel}`, () => {
    const disks = parseDiskstats(readFixture(`${kernel}/proc/diskstats`));
    assert.ok(disks.has("vda") && disks.has("loop0"));
    assert.ok(disks.get("vda")!.sectorsWritten > 0);
  });

  Deno.test(`isPhysicalDisk() keeps only virtio disks of ${kernel}, not loop or zram`, async () => {
    const sys = fixture(`${kernel}/sys`);
    const names = [...parseDiskstats(readFixture(`${kernel}/proc/diskstats`)).keys()];
    const kept = [];
    for (const name of names) if (await isPhysicalDisk(sys, name)) kept.push(name);
    assert.deepEqual(kept, kernel === "linux-6.1" ? ["vda", "vdb"] : ["vda"]);
  });
}

Deno.test("isPhysicalDisk() skips partitions: they have no /sys/block entry", async () => {
  assert.equal(await isPhysicalDisk(fixture("linux-6.18/sys"), "vda1"), false);
});

Deno.test("looksPhysical() is the name rule used without /sys", () => {
  for (const name of ["sda", "vda", "nvme0n1", "mmcblk0", "xvdb"]) {
    assert.ok(looksPhysical(name), name);
  }
  for (
    const name of ["sda1", "nvme0n1p2", "mmcblk0p1", "loop3", "ram0", "zram0", "dm-1", "md127"]
  ) {
    assert.ok(!looksPhysical(name), name);
  }
});

Deno.test("parseDiskstats() skips the 7-field partition lines of old kernels", () => {
  const text = "   8       0 sda 10 0 80 5 20 0 160 9 0 12 14\n   8       1 sda1 10 80 20 160\n";
  const disks = parseDiskstats(text);
  assert.deepEqual([...disks.keys()], ["sda"]);
  assert.equal(disks.get("sda")!.ioTicks, 12);
});

Deno.test("parseDiskstats() rejects a file cut off mid-line", () => {
  assert.throws(
    () => parseDiskstats(readFixture("malformed/diskstats_truncated")),
    (e) => e instanceof RangeError && /line 9: 9 fields, expected 20/.test(e.message),
  );
});

Deno.test("diskMetrics() turns sectors into bytes and io_ticks into utilisation", () => {
  const before = {
    readsCompleted: 10,
    sectorsRead: 100,
    writesCompleted: 5,
    sectorsWritten: 8,
    ioTicks: 100,
  };
  const after = {
    readsCompleted: 30,
    sectorsRead: 300,
    writesCompleted: 6,
    sectorsWritten: 16,
    ioTicks: 350,
  };
  assert.deepEqual(diskMetrics("sda", before, after, 500), {
    name: "sda",
    readBps: 200 * 512 * 2,
    writeBps: 8 * 512 * 2,
    readIops: 40,
    writeIops: 2,
    utilPct: 50,
  });
});

Deno.test("diskMetrics() is null on the first reading and after a reset", () => {
  const after = {
    readsCompleted: 30,
    sectorsRead: 300,
    writesCompleted: 6,
    sectorsWritten: 16,
    ioTicks: 350,
  };
  assert.equal(diskMetrics("sda", undefined, after, 1000).readBps, null);
  const reset = {
    readsCompleted: 1,
    sectorsRead: 8,
    writesCompleted: 0,
    sectorsWritten: 0,
    ioTicks: 2,
  };
  const metrics = diskMetrics("sda", after, reset, 1000);
  assert.equal(metrics.readBps, null);
  assert.equal(metrics.utilPct, null);
});

Deno.test("diskMetrics() caps utilisation at 100 when io_ticks outruns the clock", () => {
  const a = {
    readsCompleted: 0,
    sectorsRead: 0,
    writesCompleted: 0,
    sectorsWritten: 0,
    ioTicks: 0,
  };
  assert.equal(diskMetrics("sda", a, { ...a, ioTicks: 1030 }, 1000).utilPct, 100);
});

Deno.test("createDiskCollector() measures rates over the clock's elapsed time", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/diskstats`, readFixture("linux-6.18/proc/diskstats"));
    let now = 1000;
    const collector = createDiskCollector(root, fixture("linux-6.18/sys"), () => now);
    const first = await collector.collect();
    assert.deepEqual(first.disks, [
      {
        name: "vda",
        readBps: null,
        writeBps: null,
        readIops: null,
        writeIops: null,
        utilPct: null,
      },
    ]);
    await Deno.writeTextFile(`${root}/diskstats`, readFixture("linux-6.18-t1/proc/diskstats"));
    now += 2000;
    const [vda] = (await collector.collect()).disks!;
    const a = parseDiskstats(readFixture("linux-6.18/proc/diskstats")).get("vda")!;
    const b = parseDiskstats(readFixture("linux-6.18-t1/proc/diskstats")).get("vda")!;
    assert.equal(vda.writeBps, ((b.sectorsWritten - a.sectorsWritten) * 512) / 2);
    assert.equal(vda.readIops, (b.readsCompleted - a.readsCompleted) / 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
