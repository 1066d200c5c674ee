import assert from "node:assert/strict";
import {
  cpuMetrics,
  cpuPercent,
  type CpuTimes,
  parseProcStat,
} from "../../../src/worker/collectors/cpu.ts";
import { createCpuCollector } from "../../../src/worker/collectors/cpu.ts";
import { fixture, KERNELS, readFixture } from "./fixtures.ts";

function times(partial: Partial<CpuTimes>): CpuTimes {
  return {
    user: 0,
    nice: 0,
    system: 0,
    idle: 0,
    iowait: 0,
    irq: 0,
    softirq: 0,
    steal: 0,
    guest: 0,
    guestNice: 0,
    ...partial,
  };
}

for (const kernel of KERNELS) {
  Deno.test(`parseProcStat() reads the total and every core of ${kernel}`, () => {
    const stat = parseProcStat(readFixture(`${kernel}/proc/stat`));
    assert.equal(stat.cores.length, 2);
    assert.ok(stat.total.user > 0 && stat.total.idle > 0);
    const sumOfCores = stat.cores.reduce((sum, core) => sum + core!.user, 0);
    // the aggregate line is the sum of the per-core lines
    assert.ok(Math.abs(sumOfCores - stat.total.user) <= 2);
  });
}

Deno.test("cpuMetrics() between two real readings is within 0..100 and adds up", () => {
  const before = parseProcStat(readFixture("linux-6.18/proc/stat"));
  const after = parseProcStat(readFixture("linux-6.18-t1/proc/stat"));
  const cpu = cpuMetrics(before, after);
  const parts = [
    cpu.user,
    cpu.nice,
    cpu.system,
    cpu.idle,
    cpu.iowait,
    cpu.irq,
    cpu.softirq,
    cpu.steal,
  ];
  for (const value of [cpu.usage, ...parts, ...cpu.cores!]) {
    assert.ok(value !== null && value! >= 0 && value! <= 100, String(value));
  }
  assert.ok(Math.abs(parts.reduce((a, b) => a! + b!, 0)! - 100) < 1e-9);
});

Deno.test("cpuMetrics() gives null rates on the first reading", () => {
  const cpu = cpuMetrics(undefined, parseProcStat(readFixture("linux-6.1/proc/stat")));
  assert.equal(cpu.usage, null);
  assert.equal(cpu.user, null);
  assert.deepEqual(cpu.cores, [null, null]);
});

Deno.test("cpuPercent() does not count guest time twice", () => {
  // 100 jiffies: 60 user of which 40 were spent running a guest, 40 idle.
  const pct = cpuPercent(times({}), times({ user: 60, guest: 40, idle: 40 }))!;
  assert.equal(pct.user, 60);
  assert.equal(pct.usage, 60);
  assert.equal(pct.idle, 40);
});

Deno.test("cpuPercent() never goes negative or above 100 when counters go backwards", () => {
  const before = times({ user: 1000, system: 500, idle: 9000, iowait: 300 });
  const after = times({ user: 1010, system: 505, idle: 8990, iowait: 200 });
  const pct = cpuPercent(before, after)!;
  for (const value of Object.values(pct)) assert.ok(value >= 0 && value <= 100, String(value));
  assert.equal(pct.usage, 100);
  assert.equal(cpuPercent(after, before)!.idle, 100 * 10 / 110);
});

Deno.test("cpuPercent() is null when no time passed", () => {
  assert.equal(cpuPercent(times({ user: 5 }), times({ user: 5 })), null);
});

Deno.test("cpuMetrics() reports null for a core that went offline or came back", () => {
  const online =
    `cpu  30 0 0 300 0 0 0 0 0 0\ncpu0 10 0 0 100 0 0 0 0 0 0\ncpu1 10 0 0 100 0 0 0 0 0 0\ncpu2 10 0 0 100 0 0 0 0 0 0\n`;
  const offline =
    `cpu  40 0 0 350 0 0 0 0 0 0\ncpu0 15 0 0 120 0 0 0 0 0 0\ncpu2 15 0 0 120 0 0 0 0 0 0\n`;
  const back =
    `cpu  20 0 0 400 0 0 0 0 0 0\ncpu0 20 0 0 140 0 0 0 0 0 0\ncpu1 0 0 0 5 0 0 0 0 0 0\ncpu2 20 0 0 140 0 0 0 0 0 0\n`;
  const a = cpuMetrics(parseProcStat(online), parseProcStat(offline));
  assert.deepEqual(a.cores, [20, null, 20]);
  const b = cpuMetrics(parseProcStat(offline), parseProcStat(back));
  assert.deepEqual(b.cores, [20, null, 20]);
  // the aggregate user count dropped (40 -> 20): its delta counts as 0, not negative
  assert.equal(b.user, 0);
  assert.equal(b.usage, 0);
});

Deno.test("parseProcStat() accepts the 4-field lines of very old kernels", () => {
  const stat = parseProcStat("cpu  1 2 3 4\ncpu0 1 2 3 4\n");
  assert.equal(stat.total.idle, 4);
  assert.equal(stat.total.steal, 0);
});

Deno.test("parseProcStat() rejects a file without a cpu line", () => {
  assert.throws(
    () => parseProcStat(readFixture("malformed/stat_no_cpu_line")),
    (e) => e instanceof TypeError && e.message === 'Cannot parse /proc/stat: no "cpu" line',
  );
});

Deno.test("parseProcStat() rejects a file cut off in a cpu line", () => {
  assert.throws(
    () => parseProcStat(readFixture("malformed/stat_truncated")),
    (e) =>
      e instanceof RangeError && /line 3: 4 fields where the first cpu line has 10/.test(e.message),
  );
});

Deno.test("parseProcStat() names the field that is not a number", () => {
  assert.throws(
    () => parseProcStat(readFixture("malformed/stat_bad_number")),
    /Cannot parse \/proc\/stat line 1: user of "cpu" is "12x4", not a number/,
  );
  assert.throws(() => parseProcStat(""), TypeError);
  assert.throws(() => parseProcStat("cpuX 1 2 3 4\ncpu 1 2 3 4\n"), /bad cpu name "cpuX"/);
});

Deno.test("createCpuCollector() reads procRoot/stat: null first, numbers after", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/stat`, readFixture("linux-6.18/proc/stat"));
    const collector = createCpuCollector(root);
    assert.equal((await collector.collect()).cpu?.usage, null);
    await Deno.copyFile(fixture("linux-6.18-t1/proc/stat"), `${root}/stat`);
    const usage = (await collector.collect()).cpu?.usage;
    assert.ok(typeof usage === "number" && usage >= 0 && usage <= 100);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
