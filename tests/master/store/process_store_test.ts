import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { ProcessEntry, ProcessReport } from "../../../src/protocol/processes.ts";
import type { Sample } from "../../../src/protocol/sample.ts";
import { machineInfo, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const SCAN_MS = 5000;

function proc(
  pid: number,
  name: string,
  cpu: number | null,
  rss: number,
  extra: Partial<ProcessEntry> = {},
): ProcessEntry {
  return {
    pid,
    name,
    state: "S",
    cpu,
    rss,
    readBps: 0,
    writeBps: 0,
    threads: 1,
    start: T0 - 3_600_000 + pid,
    ...extra,
  };
}

/** The i-th scan of a machine: ffmpeg busy from scan 3 on, postgres steady, a watched nginx. */
function scanReport(i: number): ProcessReport {
  const top = [
    proc(900, "postgres", 40 + (i % 3), 300_000_000, { writeBps: 1000 * i }),
    proc(77, "sshd", 0.2, 8_000_000),
  ];
  if (i >= 3) {
    top.unshift(
      proc(4121, "ffmpeg", 180, 120_000_000, { state: "R", threads: 4, readBps: 2_000_000 }),
    );
  }
  return {
    spanMs: i === 0 ? null : SCAN_MS,
    top,
    watched: [{
      name: "nginx",
      count: i % 4 === 0 ? 0 : 2,
      cpu: i % 4 === 0 ? 0 : 3,
      rss: i % 4 === 0 ? 0 : 20_000_000,
      readBps: 0,
      writeBps: 0,
      pids: i % 4 === 0 ? [] : [10, 11],
    }],
    ioUnreadable: 2,
  };
}

/** Samples at 1 s; every fifth carries a scan. */
function samples(machineId: string, from: number, count: number, firstSeq = 0): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < count; k++) {
    const seq = firstSeq + k;
    const sample = simpleSample(machineId, from + k * 1000, seq, seq);
    if (seq % 5 === 0) sample.processes = scanReport(seq / 5);
    out.push(sample);
  }
  return out;
}

function write(store: Awaited<ReturnType<typeof tempStore>>["store"], list: Sample[]) {
  store.write(
    list.map((sample) => ({ machineId: sample.machineId, sample, receivedAt: sample.ts })),
  );
}

Deno.test("a scan is stored once per scan and read back as sent; what ran at T is the scan covering T", async () => {
  const { store, dir, path } = await tempStore(() => T0 + 60_000);
  try {
    store.registerMachine(machineInfo("m1"), T0);
    const list = samples("m1", T0, 30);
    write(store, list);
    write(store, list.slice(10, 20)); // a replay stores nothing twice
    assert.deepEqual(store.latestProcesses("m1"), { ts: T0 + 25_000, ...scanReport(5) });
    const at = store.processesAt("m1", T0 + 12_300)!;
    assert.equal(at.tier, "raw");
    assert.equal(at.t, T0 + 15_000, "the scan at 15 s covers 10..15 s");
    assert.deepEqual(at.processes, scanReport(3).top);
    assert.deepEqual(at.watched, scanReport(3).watched);
    assert.equal(at.ioUnreadable, 2);
    assert.equal(store.processesAt("m1", T0 + 25_000)!.t, T0 + 25_000);
    assert.equal(
      store.processesAt("m1", T0 + 80_000)!.t,
      T0 + 25_000,
      "the newest scan within a minute",
    );
    assert.equal(store.processesAt("m1", T0 + 90_000), undefined);
    assert.equal(store.processesAt("nope", T0), undefined);
    store.close();
    const db = new DatabaseSync(path, { readOnly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    assert.equal(count("SELECT count(*) AS n FROM process_scans"), 6, "one row per scan");
    assert.equal(count("SELECT count(*) AS n FROM process_names"), 4, "each name once");
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("minutes and hours roll scans up; once scans expire, what ran at T comes from them", async () => {
  let now = T0;
  const { store, dir } = await tempStore(() => now);
  try {
    store.registerMachine(machineInfo("m1"), T0);
    write(store, samples("m1", T0, 125)); // scans 0..24: minute 0 (0..11), minute 1 (12..23), 24
    // minute 0, by hand: ffmpeg listed in scans 3..11 (9 of 12), 180 % each, reading 2 MB/s
    // over 9 spans of 5 s; postgres in all 12 at 40, 41, 42, ...
    const minute = store.processesAt("m1", T0 + 125_000 + 3 * 86_400_000)?.tier; // nothing that late
    assert.equal(minute, undefined);
    // m1 falls silent: once it has been for over 2 minutes, the next write (of another
    // machine) rolls its open minute (scan 24) and its hour up
    now = T0 + 300_000;
    store.registerMachine(machineInfo("m2"), now);
    write(store, [simpleSample("m2", now, 0, 0)]);
    now = T0 + 3 * 86_400_000; // raw (2 days) expired
    while (store.applyRetention(now) > 0) { /* all of it */ }
    const at = store.processesAt("m1", T0 + 30_000)!;
    assert.equal(at.tier, "minute");
    assert.equal(at.t, T0);
    assert.equal(at.spanMs, 11 * SCAN_MS, "scan 0 measured nothing");
    const ffmpeg = at.processes.find((p) => p.name === "ffmpeg")!;
    assert.deepEqual(ffmpeg, {
      pid: 4121,
      name: "ffmpeg",
      cpu: 180,
      cpuMax: 180,
      rss: 120_000_000,
      readBps: Math.round((9 * 5 * 2_000_000) / 55),
      writeBps: 0,
      listed: 9,
      state: "R",
      threads: 4,
      start: T0 - 3_600_000 + 4121,
    });
    const pg = at.processes.find((p) => p.name === "postgres")!;
    const pgCpu = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => 40 + (i % 3));
    assert.equal(pg.cpu, Math.round((pgCpu.reduce((a, b) => a + b) / 12) * 10) / 10);
    assert.equal(pg.listed, 12);
    const nginx = at.watched[0];
    assert.equal(nginx.name, "nginx");
    assert.equal(nginx.countMin, 0, "not running at scans 0, 4, 8");
    assert.equal(nginx.count, 2);

    now = T0 + 40 * 86_400_000; // minutes (30 days) expired too: the hour answers
    while (store.applyRetention(now) > 0) { /* all of it */ }
    const hour = store.processesAt("m1", T0 + 30_000)!;
    assert.equal(hour.tier, "hour");
    assert.equal(hour.t, T0);
    assert.equal(
      hour.processes.find((p) => p.name === "ffmpeg")!.listed,
      9 + 12 + 1,
      "minutes 0 and 1, and the one scan of minute 2",
    );
    now = T0 + 500 * 86_400_000;
    while (store.applyRetention(now) > 0) { /* all of it */ }
    assert.equal(store.processesAt("m1", T0 + 30_000), undefined);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a late scan of a minute already rolled up rolls it again", async () => {
  const { store, dir } = await tempStore(() => T0 + 86_400_000 * 3);
  try {
    store.registerMachine(machineInfo("m1"), T0);
    const list = samples("m1", T0, 125);
    const lateSeqs = new Set([15, 20]);
    write(store, list.filter((s) => !lateSeqs.has(s.seq)));
    write(store, list.filter((s) => lateSeqs.has(s.seq)));
    const all = store.processHistory(
      "m1",
      { from: T0, to: T0 + 119_999, points: 2, pid: 4121 },
      "minute",
    );
    assert.deepEqual(all.listed, [9, 12]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("one process and one name over a range, from scans and from rollups", async () => {
  const { store, dir } = await tempStore(() => T0 + 200_000);
  try {
    store.registerMachine(machineInfo("m1"), T0);
    write(store, samples("m1", T0, 125));
    const byPid = store.processHistory("m1", { from: T0, to: T0 + 59_999, points: 4, pid: 4121 });
    assert.equal(byPid.tier, "raw");
    assert.equal(byPid.stepMs, 15_000);
    // scans every 5 s from 0 s; ffmpeg listed from the one at 15 s
    assert.deepEqual(byPid.listed, [0, 3, 3, 3]);
    assert.deepEqual(byPid.cpu, [null, 180, 180, 180]);
    assert.deepEqual(byPid.readBps, [null, 2_000_000, 2_000_000, 2_000_000]);
    const before = store.processHistory("m1", { from: T0, to: T0 + 9_999, points: 2, pid: 4121 });
    assert.deepEqual(before.cpu, [null, null], "not listed before scan 3");
    const wrongStart = store.processHistory("m1", {
      from: T0,
      to: T0 + 59_999,
      points: 1,
      pid: 4121,
      start: 1,
    });
    assert.deepEqual(wrongStart.listed, [0], "same pid, another process");
    const watched = store.processHistory("m1", {
      from: T0,
      to: T0 + 19_999,
      points: 4,
      name: "nginx",
    });
    assert.deepEqual(watched.count, [0, 2, 2, 2]);
    assert.deepEqual(watched.cpu, [0, 3, 3, 3]);
    const minutes = store.processHistory(
      "m1",
      { from: T0, to: T0 + 119_999, points: 10, name: "postgres" },
      "minute",
    );
    assert.equal(minutes.tier, "minute");
    assert.deepEqual(minutes.t, [T0, T0 + 60_000]);
    assert.deepEqual(minutes.count, [1, 1]);
    assert.deepEqual(minutes.rss, [300_000_000, 300_000_000]);
    assert.throws(
      () => store.processHistory("nope", { from: T0, to: T0 + 1, points: 1, pid: 1 }),
      /No machine/,
    );
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process names from workers keep every character and survive a restart", async () => {
  const { store, dir, path } = await tempStore(() => T0 + 60_000);
  const odd = ["nul\u0000name", 'quo"te\n<b>', "żółw 🐢", ""];
  try {
    store.registerMachine(machineInfo("m1"), T0);
    const sample = simpleSample("m1", T0, 0, 0);
    sample.processes = {
      spanMs: 5000,
      top: odd.map((name, i) => proc(i + 1, name, 1, 1000)),
      watched: [],
    };
    write(store, [sample]);
    store.close();
    const { openStore } = await import("../../../src/master/store/sqlite_store.ts");
    const again = openStore({
      path,
      retention: { raw: 1e12, minute: 1e12, hour: 1e12 },
      now: () => T0,
    });
    try {
      assert.deepEqual(again.latestProcesses("m1")!.top.map((p) => p.name), odd);
      assert.deepEqual(again.processesAt("m1", T0)!.processes.map((p) => p.name), odd);
    } finally {
      again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
