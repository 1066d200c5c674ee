/**
 * Removing a machine in the SQLite store: kept data stays and comes back with the machine;
 * deleted data leaves every table keyed by machine in bounded slices, survives a restart half
 * done, and touches no other machine; expected-offline marks are stored.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Sample } from "../../../src/protocol/sample.ts";
import { openStore } from "../../../src/master/store/sqlite_store.ts";
import { machineTables } from "../../../src/master/store/machine_removal.ts";
import { machineInfo, RETENTION, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

type Store = Awaited<ReturnType<typeof tempStore>>["store"];

/** A process scan with one process, every fifth sample. */
function withScan(sample: Sample, i: number): Sample {
  if (i % 5 !== 0) return sample;
  const top = [{ pid: 42, name: "postgres", cpu: i % 7, rss: 1e8, readBps: 0, writeBps: 0 }];
  return { ...sample, processes: { spanMs: i === 0 ? null : 50_000, top } };
}

/** Three hours of a sample every 10 s with process scans, a clock-skewed one, an anomaly event. */
function fill(store: Store, id: string): void {
  store.registerMachine(machineInfo(id), T0);
  const rows = [];
  for (let i = 0; i < 1080; i++) {
    rows.push(rowOf(withScan(simpleSample(id, T0 + i * 10_000, i, i), i)));
  }
  for (let k = 0; k < rows.length; k += 200) store.write(rows.slice(k, k + 200));
  const late = simpleSample(id, T0 + 20_000_000, 5000, 1);
  store.write([{ ...rowOf(late), clockSkewed: true }]);
  const event = store.openAnomaly({
    machineId: id,
    start: T0 + 60_000,
    end: null,
    peakScore: 0.9,
    reason: "cpu.usage",
    causes: [],
  });
  store.updateAnomaly(event, { end: T0 + 120_000, closeReason: "recovered" });
}

/** Rows per table keyed by machine, for the machine with row index `idx`. */
function countsOf(path: string, idx: number): Record<string, number> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const out: Record<string, number> = {};
    for (const { name } of machineTables(db)) {
      const row = db.prepare(`SELECT count(*) AS n FROM "${name}" WHERE machine = ?`).get(idx);
      out[name] = (row as { n: number }).n;
    }
    return out;
  } finally {
    db.close();
  }
}

function idxOf(path: string, id: string): number | undefined {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare(`SELECT idx FROM machines WHERE id = ?`).get(id) as { idx: number })?.idx;
  } finally {
    db.close();
  }
}

Deno.test("deleting a machine's data empties every table keyed by machine, in bounded slices", async () => {
  let now = T0 + 3 * 3_600_000;
  const { store, dir, path } = await tempStore(() => now);
  try {
    fill(store, "gone");
    fill(store, "stay");
    store.close(); // the latest samples and open minutes are written
    const reopened = openStore({ path, retention: RETENTION, now: () => now });
    // A table a later migration adds (like process scans) is found from the schema.
    const other = new DatabaseSync(path);
    other.exec(`CREATE TABLE later_table (machine INTEGER NOT NULL, ts INTEGER NOT NULL)`);
    const gone = idxOf(path, "gone")!;
    const stay = idxOf(path, "stay")!;
    for (const idx of [gone, stay]) {
      other.prepare(`INSERT INTO later_table VALUES (?, 1), (?, 2)`).run(idx, idx);
    }
    other.close();
    const before = countsOf(path, gone);
    const stayBefore = countsOf(path, stay);
    assert.deepEqual(
      Object.keys(before).sort(),
      [
        "anomalies",
        "later_table",
        "machine_latest",
        "process_hour",
        "process_minute",
        "process_scans",
        "raw",
        "raw_skewed",
        "rollup_hour",
        "rollup_minute",
      ],
    );
    for (const [table, n] of Object.entries(before)) assert.ok(n > 0, `${table} has rows`);

    assert.throws(() => reopened.purgeMachine("gone", 100), /not removed with its data/);
    const removed = reopened.removeMachine("gone", now, { deleteData: true })!;
    assert.equal(removed.removedAt, now);
    assert.equal(removed.purging, true);
    assert.throws(() => reopened.registerMachine(machineInfo("gone"), now), /being deleted/);
    let calls = 0;
    const deleted: Record<string, number> = {};
    for (;;) {
      const progress = reopened.purgeMachine("gone", 100);
      calls++;
      const n = Object.values(progress.deleted).reduce((a, b) => a + b, 0);
      assert.ok(n <= 100, `one call deleted ${n} rows`);
      for (const [t, k] of Object.entries(progress.deleted)) deleted[t] = (deleted[t] ?? 0) + k;
      if (progress.done) break;
    }
    assert.ok(calls > 10, `${calls} slices`);
    assert.deepEqual(deleted, before);
    assert.equal(idxOf(path, "gone"), undefined, "the machine row is gone too");
    assert.equal(reopened.getMachine("gone"), undefined);
    assert.deepEqual(
      Object.values(countsOf(path, gone)).filter((n) => n > 0),
      [],
    );
    assert.deepEqual(countsOf(path, stay), stayBefore, "the other machine keeps everything");
    assert.equal(reopened.recentSamples("stay", 5000).length, 1081);
    reopened.close();
    // Nothing of it comes back from memory on close, nor on the next open.
    const again = openStore({ path, retention: RETENTION, now: () => now });
    assert.equal(again.getMachine("gone"), undefined);
    assert.deepEqual(Object.values(countsOf(path, gone)).filter((n) => n > 0), []);
    // It may join again, as a new machine.
    now += 1000;
    const back = again.registerMachine(machineInfo("gone"), now);
    assert.equal(back.firstSeen, now);
    assert.equal(back.lastSeq, -1);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a deletion cut short by a restart is still marked, and finishes after it", async () => {
  const now = T0 + 3 * 3_600_000;
  const { store, dir, path } = await tempStore(() => now);
  try {
    fill(store, "gone");
    store.removeMachine("gone", now, { deleteData: true });
    assert.equal(store.purgeMachine("gone", 50).done, false);
    store.close();
    const reopened = openStore({ path, retention: RETENTION, now: () => now });
    const row = reopened.getMachine("gone")!;
    assert.equal(row.purging, true);
    assert.equal(row.removedAt, now);
    assert.ok(countsOf(path, idxOf(path, "gone")!).raw > 0);
    while (!reopened.purgeMachine("gone", 5000).done);
    assert.equal(reopened.getMachine("gone"), undefined);
    reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a machine removed with its data kept stays stored and comes back when it registers", async () => {
  let now = T0 + 3 * 3_600_000;
  const { store, dir, path } = await tempStore(() => now);
  try {
    fill(store, "kept");
    fill(store, "other");
    store.setExpectedOffline("kept", { since: now, until: null, note: "moving racks" });
    const removed = store.removeMachine("kept", now, { deleteData: false })!;
    assert.equal(removed.removedAt, now);
    assert.equal(removed.purging, undefined);
    assert.equal(removed.expectedOffline, undefined, "removing lifts the mark");
    assert.throws(() => store.purgeMachine("kept", 10), /not removed with its data/);
    assert.deepEqual(store.queryScatter({ from: T0, to: now, limit: 100 }).machines, ["other"]);
    assert.equal(
      store.queryScatter({ from: T0, to: now, machineId: "kept", limit: 10 }).t.length,
      10,
      "asked by id, its points are there",
    );
    store.close();
    const reopened = openStore({ path, retention: RETENTION, now: () => now });
    const row = reopened.listMachines().find((m) => m.id === "kept")!;
    assert.equal(row.removedAt, removed.removedAt);
    assert.equal(row.expectedOffline, undefined);
    assert.equal(reopened.recentSamples("kept", 5000).length, 1081);
    now += 60_000;
    const back = reopened.registerMachine(machineInfo("kept"), now);
    assert.equal(back.removedAt, undefined);
    assert.equal(back.firstSeen, T0, "its history is its own");
    assert.equal(back.lastSeq, 5000);
    reopened.close();
    const third = openStore({ path, retention: RETENTION, now: () => now });
    assert.equal(third.getMachine("kept")!.removedAt, undefined, "stored as back");
    third.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the expected-offline mark is stored, kept when the machine says hello, and lifted", async () => {
  const now = T0;
  const { store, dir, path } = await tempStore(() => now);
  try {
    store.registerMachine(machineInfo("m"), now);
    assert.equal(store.setExpectedOffline("nope", null), undefined);
    const mark = { since: now, until: now + 3_600_000, note: "kernel upgrade\u0000 and reboot" };
    assert.deepEqual(store.setExpectedOffline("m", mark)!.expectedOffline, mark);
    store.close();
    const reopened = openStore({ path, retention: RETENTION, now: () => now });
    assert.deepEqual(reopened.getMachine("m")!.expectedOffline, mark);
    assert.deepEqual(reopened.registerMachine(machineInfo("m"), now + 1).expectedOffline, mark);
    reopened.setExpectedOffline("m", { since: now, until: null, note: null });
    reopened.close();
    const third = openStore({ path, retention: RETENTION, now: () => now });
    assert.deepEqual(third.getMachine("m")!.expectedOffline, {
      since: now,
      until: null,
      note: null,
    });
    third.setExpectedOffline("m", null);
    assert.equal(third.getMachine("m")!.expectedOffline, undefined);
    third.close();
    const fourth = openStore({ path, retention: RETENTION, now: () => now });
    assert.equal(fourth.getMachine("m")!.expectedOffline, undefined);
    fourth.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a new machine that gets a deleted machine's row number inherits nothing of it", async () => {
  const now = T0 + 3 * 3_600_000;
  const { store, dir, path } = await tempStore(() => now);
  try {
    fill(store, "stay");
    fill(store, "gone"); // the newest row: SQLite gives its number to the next machine
    const gone = idxOf(path, "gone")!;
    store.removeMachine("gone", now, { deleteData: true });
    while (!store.purgeMachine("gone", 1000).done);
    store.registerMachine(machineInfo("fresh"), now);
    assert.equal(idxOf(path, "fresh"), gone);
    const at = now + 120_000;
    for (let i = 0; i < 20; i++) {
      store.write([rowOf(withScan(simpleSample("fresh", at + i * 10_000, i, i), i))]);
    }
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const oldest = (table: string) =>
        (db.prepare(`SELECT min(${table === "raw" ? "ts" : "bucket"}) AS t FROM ${table}
          WHERE machine = ?`).get(gone) as { t: number | null }).t;
      for (const table of ["raw", "rollup_minute", "process_minute"]) {
        const t = oldest(table);
        assert.ok(t !== null && t >= at - 60_000, `${table} holds a row from ${t}, before fresh`);
      }
    } finally {
      db.close();
    }
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
