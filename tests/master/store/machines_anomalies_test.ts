import assert from "node:assert/strict";
import { machineInfo, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 11);

Deno.test("registerMachine() keeps first seen, updates the rest, and names nameless machines", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    const first = store.registerMachine(machineInfo("a"), T0);
    assert.deepEqual({ ...first }, {
      ...machineInfo("a"),
      firstSeen: T0,
      lastSeen: T0,
      lastSeq: -1,
    });
    const again = store.registerMachine(
      { ...machineInfo("a"), name: "renamed", cores: 16 },
      T0 + 50,
    );
    assert.equal(again.firstSeen, T0);
    assert.equal(again.lastSeen, T0 + 50);
    assert.equal(again.name, "renamed");
    assert.equal(again.cores, 16);
    const nameless = store.registerMachine({ ...machineInfo("b"), name: "", hostname: "" }, T0);
    assert.match(nameless.name, /^machine_\d+$/);
    assert.throws(() => store.registerMachine({ ...machineInfo("x"), id: "" }, T0), TypeError);
    // Whatever else a caller passes along (a hello frame's token, say) is not kept.
    const extra = { ...machineInfo("c"), token: "secret" } as ReturnType<typeof machineInfo>;
    assert.equal("token" in store.registerMachine(extra, T0), false);
    assert.equal("token" in store.registerMachine(extra, T0 + 1), false);
    assert.equal(JSON.stringify(store.listMachines()).includes("secret"), false);
    store.touchMachines(new Map([["a", T0 + 500], ["b", T0 - 1], ["ghost", T0]]));
    assert.equal(store.getMachine("a")!.lastSeen, T0 + 500);
    assert.equal(store.getMachine("b")!.lastSeen, T0);
    assert.deepEqual(store.listMachines().map((m) => m.id), ["a", "b", "c"]);
    assert.equal(store.getMachine("ghost"), undefined);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("latestSamples() holds each machine's newest sample and verdict, not the last written", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    const newest = simpleSample("a", T0 + 5000, 5, 5);
    store.write([{
      ...rowOf(newest),
      verdict: { score: 0.9, anomalous: true, reason: "cpu.usage" },
    }]);
    store.write([rowOf(simpleSample("a", T0 + 1000, 1, 1))]); // a late replay
    const latest = store.latestSamples().get("a")!;
    assert.deepEqual(latest.sample, newest);
    assert.deepEqual(latest.verdict, { score: 0.9, anomalous: true, reason: "cpu.usage" });
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("anomaly events open, update and list newest first by overlap with the range", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    store.registerMachine(machineInfo("a"), T0);
    store.registerMachine(machineInfo("b"), T0);
    const cause = {
      metric: "cpu.usage",
      value: 99,
      normalLow: 5,
      normalHigh: 40,
      contribution: 0.7,
    };
    const e1 = store.openAnomaly({
      machineId: "a",
      start: T0,
      end: T0 + 60_000,
      peakScore: 0.8,
      reason: "cpu.usage",
      causes: [cause],
    });
    const e2 = store.openAnomaly({
      machineId: "b",
      start: T0 + 120_000,
      end: null,
      peakScore: 0.7,
      reason: "mem.usedPct",
      causes: [],
    });
    assert.deepEqual(store.listAnomalies({ from: T0, to: T0 + 200_000 }).map((e) => e.id), [
      e2,
      e1,
    ]);
    assert.deepEqual(store.listAnomalies({ from: T0 + 61_000, to: T0 + 62_000 }), []);
    // An open event overlaps every later range.
    assert.deepEqual(
      store.listAnomalies({ from: T0 + 10 ** 9, to: T0 + 10 ** 9 }).map((e) => e.id),
      [e2],
    );
    assert.deepEqual(
      store.listAnomalies({ from: T0, to: T0 + 200_000, machineId: "a" }).map((e) => e.id),
      [e1],
    );
    assert.deepEqual(
      store.listAnomalies({ from: T0, to: T0 + 200_000, limit: 1 }).map((e) => e.id),
      [e2],
    );
    assert.deepEqual(store.listAnomalies({ from: T0, to: T0, machineId: "ghost" }), []);

    store.updateAnomaly(e2, { end: T0 + 180_000, peakScore: 0.95 });
    const [updated] = store.listAnomalies({ from: T0 + 130_000, to: T0 + 130_000 });
    assert.deepEqual(updated, {
      id: e2,
      machineId: "b",
      start: T0 + 120_000,
      end: T0 + 180_000,
      peakScore: 0.95,
      reason: "mem.usedPct",
      causes: [],
      closeReason: null,
    });
    assert.deepEqual(store.listAnomalies({ from: T0, to: T0 })[0].causes, [cause]);

    assert.throws(() => store.updateAnomaly(9999, { end: T0 }), /No anomaly event with id 9999/);
    assert.throws(
      () =>
        store.openAnomaly({
          machineId: "ghost",
          start: T0,
          end: null,
          peakScore: 1,
          reason: "",
          causes: [],
        }),
      RangeError,
    );
    assert.throws(() => store.updateAnomaly(e1, { peakScore: NaN }), RangeError);
    assert.throws(() => store.listAnomalies({ from: 5, to: 1 }), RangeError);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an anomaly event keeps why it closed; reopening clears it; bad reasons are refused", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    store.registerMachine(machineInfo("a"), T0);
    const base = { machineId: "a", peakScore: 0.9, reason: "cpu.usage", causes: [] };
    const reasonOf = (id: number) =>
      store.listAnomalies({ from: 0, to: T0 + 10 ** 9 }).find((e) => e.id === id)?.closeReason;
    const open = store.openAnomaly({ ...base, start: T0, end: null });
    assert.equal(reasonOf(open), null);
    store.updateAnomaly(open, { end: T0 + 5000, closeReason: "offline" });
    assert.equal(reasonOf(open), "offline");
    store.updateAnomaly(open, { peakScore: 0.95 });
    assert.equal(reasonOf(open), "offline", "a patch without closeReason keeps it");
    store.updateAnomaly(open, { end: null });
    assert.equal(reasonOf(open), null, "reopened");
    const closed = store.openAnomaly({
      ...base,
      start: T0,
      end: T0 + 1000,
      closeReason: "restarted",
    });
    assert.equal(reasonOf(closed), "restarted");
    assert.throws(
      () => store.updateAnomaly(open, { closeReason: "recovered" }),
      /open anomaly event \(end null\) cannot have a closeReason/,
    );
    assert.throws(
      () => store.openAnomaly({ ...base, start: T0, end: null, closeReason: "recovered" }),
      RangeError,
    );
    assert.throws(
      () =>
        store.updateAnomaly(closed, {
          closeReason: "bored" as unknown as "recovered",
        }),
      /closeReason must be one of recovered, offline, restarted or null, got bored/,
    );
    assert.equal(reasonOf(closed), "restarted", "a refused patch changes nothing");
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a closed store refuses further calls", async () => {
  const { store, dir } = await tempStore(() => T0);
  store.close();
  store.close();
  assert.throws(() => store.listMachines(), /closed/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reopening keeps machines, last seen, last seq, latest samples and anomaly events", async () => {
  const { store, dir, path } = await tempStore(() => T0);
  const { openStore } = await import("../../../src/master/store/sqlite_store.ts");
  const { RETENTION } = await import("./store_fixtures.ts");
  try {
    store.registerMachine(machineInfo("a"), T0);
    const sample = simpleSample("a", T0 + 1000, 7, 3);
    store.write([{ ...rowOf(sample), verdict: { score: 0.25, anomalous: false, reason: null } }]);
    store.touchMachines(new Map([["a", T0 + 4321]]));
    const id = store.openAnomaly({
      machineId: "a",
      start: T0,
      end: null,
      peakScore: 0.9,
      reason: "cpu.usage",
      causes: [],
    });
    const before = {
      machines: store.listMachines(),
      latest: store.latestSamples(),
      anomalies: store.listAnomalies({ from: T0, to: T0 + 5000 }),
      recent: store.recentSamples("a", 5),
    };
    store.close();
    const again = openStore({ path, retention: RETENTION, now: () => T0 + 5000 });
    try {
      assert.deepEqual(again.listMachines(), before.machines);
      assert.equal(again.getMachine("a")!.lastSeen, T0 + 4321);
      assert.equal(again.getMachine("a")!.lastSeq, 7);
      assert.deepEqual(again.latestSamples(), before.latest);
      assert.deepEqual(again.listAnomalies({ from: T0, to: T0 + 5000 }), before.anomalies);
      assert.equal(before.anomalies[0].id, id);
      assert.deepEqual(again.recentSamples("a", 5), before.recent);
    } finally {
      again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
