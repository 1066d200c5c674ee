import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import type { ProcessEntry } from "../../../src/protocol/processes.ts";
import { parseAuxv, parseBootTime } from "../../../src/worker/collectors/process_files.ts";
import {
  createProcessTable,
  type ProcessSource,
  type ProcessTableOptions,
} from "../../../src/worker/collectors/process_table.ts";
import { procfsSource } from "../../../src/worker/collectors/processes.ts";
import { capturedPids, fixture, PROCESS_KERNELS, readFixture } from "./fixtures.ts";

/** A source reading `root` (a directory holding proc/), which a test may move on to t1. */
function movingSource(first: string): { source: ProcessSource; moveTo(root: string): void } {
  let inner = procfsSource(`${first}/proc`);
  const source: ProcessSource = {
    listPids: () => inner.listPids(),
    readStat: (pid) => inner.readStat(pid),
    readStatm: (pid) => inner.readStatm(pid),
    readIo: (pid) => inner.readIo(pid),
    readCmdline: (pid) => inner.readCmdline(pid),
    uptimeSeconds: () => inner.uptimeSeconds(),
  };
  return { source, moveTo: (root) => inner = procfsSource(`${root}/proc`) };
}

function options(root: string, extra: Partial<ProcessTableOptions> = {}): ProcessTableOptions {
  return {
    auxv: parseAuxv(Deno.readFileSync(`${root}/proc/self/auxv`)),
    bootTime: parseBootTime(Deno.readTextFileSync(`${root}/proc/stat`)),
    top: 10,
    watch: [],
    cmdline: false,
    onError: (pid, error) => assert.fail(`unexpected error on pid ${pid}: ${error}`),
    ...extra,
  };
}

/** The hand computation: stat fields after "(comm) " by proc(5) number, straight from the file. */
function statField(root: string, pid: string, field: number): string {
  const text = Deno.readTextFileSync(`${root}/proc/${pid}/stat`);
  return text.slice(text.lastIndexOf(") ") + 2).split(" ")[field - 3];
}

function uptimeTicks(root: string): number {
  return Number(Deno.readTextFileSync(`${root}/proc/uptime`).split(" ")[0]) * 100;
}

function ioBytes(root: string, pid: string, key: string): number {
  const text = Deno.readTextFileSync(`${root}/proc/${pid}/io`);
  return Number(new RegExp(`^${key}: (\\d+)$`, "m").exec(text)![1]);
}

function pidOf(root: string, predicate: (pid: string) => boolean): string {
  const pid = capturedPids(root).find(predicate);
  assert.ok(pid, `a matching process in ${root}`);
  return pid;
}

function cmdlineHas(root: string, needle: string) {
  return (pid: string) => {
    try {
      return Deno.readTextFileSync(`${root}/proc/${pid}/cmdline`).includes(needle);
    } catch {
      return false;
    }
  };
}

const byName = (root: string, name: string) => (pid: string) =>
  statField(root, pid, 3) !== undefined &&
  Deno.readTextFileSync(`${root}/proc/${pid}/stat`).includes(` (${name}) `);

for (const kernel of PROCESS_KERNELS) {
  const t0 = fixture(`${kernel}/t0`);
  const t1 = fixture(`${kernel}/t1`);
  const t0Rel = `${kernel}/t0`;
  const t1Rel = `${kernel}/t1`;

  Deno.test(`scanning ${kernel} t0 then t1 measures like a hand computation`, () => {
    const { source, moveTo } = movingSource(t0);
    const table = createProcessTable(source, options(t0));
    const first = table.scan();
    assert.equal(first.report.spanMs, null);
    assert.ok(first.report.top.length > 0 && first.report.top.every((e) => e.cpu === null));
    moveTo(t1);
    const second = table.scan();
    const span = uptimeTicks(t1) - uptimeTicks(t0);
    assert.equal(second.report.spanMs, Math.round(span * 10));

    const before = new Set(capturedPids(t0Rel));
    const expectedCpu = (pid: string): number | null => {
      const ticks = (root: string) =>
        Number(statField(root, pid, 14)) + Number(statField(root, pid, 15));
      const start = Number(statField(t1, pid, 22));
      if (before.has(pid) && Number(statField(t0, pid, 22)) === start) {
        return Math.round(((ticks(t1) - ticks(t0)) / span) * 1000) / 10;
      }
      return Math.round((ticks(t1) / (uptimeTicks(t1) - start)) * 1000) / 10;
    };
    const bootMs = parseBootTime(readFixture(`${t1Rel}/proc/stat`)) * 1000;
    for (const entry of second.report.top) {
      const pid = String(entry.pid);
      assert.equal(entry.cpu, expectedCpu(pid), `cpu of ${pid} (${entry.name})`);
      assert.equal(entry.state, statField(t1, pid, 3));
      assert.equal(entry.threads, Number(statField(t1, pid, 20)));
      assert.equal(entry.start, bootMs + Number(statField(t1, pid, 22)) * 10);
      const resident = Number(Deno.readTextFileSync(`${t1}/proc/${pid}/statm`).split(" ")[1]);
      assert.equal(entry.rss, resident * 4096, `exact memory of ${pid}`);
    }
    // The ten highest CPU figures over every process, computed by hand, are the reported ones.
    const pids = capturedPids(t1Rel);
    const highest = pids.map(expectedCpu).filter((c): c is number => c !== null && c > 0)
      .sort((a, b) => b - a).slice(0, 10);
    const reported = second.report.top.map((e) => e.cpu ?? 0).sort((a, b) => b - a).slice(0, 10);
    assert.deepEqual(reported, highest);

    const hog = pidOf(t1Rel, byName(t1, "yes"));
    const hogEntry = second.report.top.find((e) => e.pid === Number(hog));
    assert.ok(hogEntry && hogEntry.cpu! > 10, `yes is busy: ${hogEntry?.cpu}`);

    for (
      const [needle, key, field] of [["sink", "write_bytes", "writeBps"], [
        "source",
        "read_bytes",
        "readBps",
      ]] as const
    ) {
      const pid = pidOf(t1Rel, cmdlineHas(t1, needle));
      const entry = second.report.top.find((e) => e.pid === Number(pid));
      const expected = Math.round((ioBytes(t1, pid, key) - ioBytes(t0, pid, key)) / (span / 100));
      assert.ok(expected > 0);
      assert.equal(entry?.[field], expected, `${field} of the ${needle} loop`);
    }

    const counts = { R: 0, S: 0, I: 0, D: 0, Z: 0, T: 0, t: 0 } as Record<string, number>;
    let threads = 0;
    for (const pid of pids) {
      counts[statField(t1, pid, 3)]++;
      threads += Number(statField(t1, pid, 20));
    }
    assert.equal(second.total, pids.length);
    assert.deepEqual(second.counts, {
      threads,
      running: counts.R,
      sleeping: counts.S + counts.I,
      blocked: counts.D,
      zombie: counts.Z,
      stopped: counts.T + counts.t,
      other: pids.length - Object.values(counts).reduce((a, b) => a + b, 0),
      unreadable: 0,
    });
  });

  Deno.test(`the watch list of ${kernel} names running and absent processes`, () => {
    const { source, moveTo } = movingSource(t0);
    const table = createProcessTable(source, options(t0, { watch: ["sh", "yes", "nosuchd"] }));
    table.scan();
    moveTo(t1);
    const { report } = table.scan();
    const shPids = capturedPids(t1Rel).filter(byName(t1, "sh")).map(Number).sort((a, b) => a - b);
    const hog = Number(pidOf(t1Rel, byName(t1, "yes")));
    const [sh, yes, none] = report.watched!;
    assert.equal(sh.name, "sh");
    assert.equal(sh.count, shPids.length);
    assert.deepEqual([...sh.pids].sort((a, b) => a - b), shPids);
    const resident = (pid: number) =>
      Number(Deno.readTextFileSync(`${t1}/proc/${pid}/statm`).split(" ")[1]) * 4096;
    assert.equal(sh.rss, shPids.reduce((sum, pid) => sum + resident(pid), 0));
    assert.deepEqual({ ...yes, cpu: 0 }, {
      name: "yes",
      count: 1,
      cpu: 0,
      rss: resident(hog),
      readBps: 0,
      writeBps: 0,
      pids: [hog],
    });
    assert.ok(yes.cpu! > 10);
    assert.deepEqual(none, {
      name: "nosuchd",
      count: 0,
      cpu: 0,
      rss: 0,
      readBps: 0,
      writeBps: 0,
      pids: [],
    });
  });
}

Deno.test("command lines are reported only when asked for", () => {
  const root = fixture("procs-6.1/t1");
  const writer = Number(pidOf("procs-6.1/t1", cmdlineHas(root, "sink")));
  const withCmd = createProcessTable(procfsSource(`${root}/proc`), options(root, { cmdline: true }))
    .scan().report.top;
  assert.match(withCmd.find((e) => e.pid === writer)!.cmd!, /^sh -c while :; do dd .*sink/);
  const without = createProcessTable(procfsSource(`${root}/proc`), options(root)).scan().report;
  assert.ok(without.top.length > 0 && without.top.every((e) => e.cmd === undefined));
  const none = createProcessTable(procfsSource(`${root}/proc`), options(root, { top: 0 })).scan();
  assert.deepEqual(none.report.top, []);
  assert.ok(none.total > 40);
});

/** A temporary copy of a fixture snapshot, removed after `fn`. */
function withCopy(relative: string[], fn: (dirs: string[]) => void): void {
  const temp = Deno.makeTempDirSync({ prefix: "gridmon-procs-" });
  try {
    const dirs = relative.map((rel, i) => {
      const dir = `${temp}/${i}`;
      cpSync(fixture(rel), dir, { recursive: true });
      return dir;
    });
    fn(dirs);
  } finally {
    Deno.removeSync(temp, { recursive: true });
  }
}

Deno.test("processes that exit between listing and reading are not counted, and nothing fails", () => {
  withCopy(["procs-6.1/t0"], ([root]) => {
    const real = procfsSource(`${root}/proc`);
    const listed = real.listPids();
    const hog = pidOf("procs-6.1/t0", byName(fixture("procs-6.1/t0"), "yes"));
    const writer = pidOf("procs-6.1/t0", cmdlineHas(fixture("procs-6.1/t0"), "sink"));
    const source: ProcessSource = {
      ...real,
      listPids() {
        // the yes process exits right after the listing
        Deno.removeSync(`${root}/proc/${hog}`, { recursive: true });
        return listed;
      },
      readIo(pid) {
        // the writer exits between its stat and its io (and so before its statm)
        if (pid === writer) Deno.removeSync(`${root}/proc/${writer}`, { recursive: true });
        return real.readIo(pid);
      },
    };
    // every process with memory is reported, so the writer's entry is there to check
    const scan = createProcessTable(source, options(root, { top: 100 })).scan();
    // the capture's own half-copied pids (stat gone) count no more than the yes process
    const captured = capturedPids("procs-6.1/t0");
    assert.ok(listed.length > captured.length);
    assert.equal(scan.total, captured.length - 1);
    assert.equal(scan.counts.unreadable, 0);
    assert.ok(!scan.report.top.some((e) => e.pid === Number(hog)));
    const writerEntry = scan.report.top.find((e) => e.pid === Number(writer));
    assert.ok(writerEntry, "the writer, counted with what was read before it exited");
    assert.equal(writerEntry.readBps, null);
    // its statm was gone too: it keeps the memory figure of its stat
    const stat = Deno.readTextFileSync(fixture(`procs-6.1/t0/proc/${writer}/stat`));
    const rssPages = Number(stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[24 - 3]);
    assert.equal(writerEntry.rss, rssPages * 4096);
  });
});

Deno.test("a reused pid is a new process, measured from its own start", () => {
  withCopy(["procs-6.18/t0", "procs-6.18/t1"], ([t0, t1]) => {
    const hog = pidOf("procs-6.18/t1", byName(t1, "yes"));
    const startedAfterT0 = Math.round(uptimeTicks(t0)) + 100;
    const text = Deno.readTextFileSync(`${t1}/proc/${hog}/stat`);
    const head = text.slice(0, text.lastIndexOf(") ") + 2);
    const fields = text.slice(head.length).split(" ");
    fields[22 - 3] = String(startedAfterT0);
    Deno.writeTextFileSync(`${t1}/proc/${hog}/stat`, head + fields.join(" "));
    const { source, moveTo } = movingSource(t0);
    const table = createProcessTable(source, options(t0));
    table.scan();
    moveTo(t1);
    const entry = table.scan().report.top.find((e: ProcessEntry) => e.pid === Number(hog))!;
    const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
    const window = uptimeTicks(t1) - startedAfterT0;
    assert.equal(entry.cpu, Math.round((ticks / window) * 1000) / 10);
    assert.equal(
      entry.start,
      parseBootTime(Deno.readTextFileSync(`${t1}/proc/stat`)) * 1000 +
        startedAfterT0 * 10,
    );
  });
});
