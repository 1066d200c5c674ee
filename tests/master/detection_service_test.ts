import assert from "node:assert/strict";
import { createDetectionService } from "../../src/master/detection_service.ts";
import type { AnomalyEvent, MachineRow, Store } from "../../src/master/store/store_types.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { openTempStore } from "./real_store.ts";
import { makeSample } from "./test_master.ts";

const T0 = Date.now() - 3_600_000;

/** A quiet machine: CPU around 20 %, memory around 40 %, small disk and network rates. */
function quiet(seq: number): Sample {
  const s = makeSample("m1", seq, T0 + seq * 1000);
  const wobble = Math.sin(seq / 7);
  return {
    ...s,
    cpu: { usage: 20 + 3 * wobble, user: 14 + 2 * wobble, system: 5, cores: [20, 21] },
    mem: { ...s.mem!, usedPct: 40 + wobble, used: 3.2e9 + 8e7 * wobble },
    load: { "1": 0.4 + 0.05 * wobble, "5": 0.4, "15": 0.4 },
  };
}

/** The same machine with its CPU pinned and its disk flooded. */
function busy(seq: number): Sample {
  const s = quiet(seq);
  return {
    ...s,
    cpu: { usage: 99, user: 90, system: 9, cores: [99, 99] },
    load: { "1": 8, "5": 4, "15": 1 },
    disks: [{ ...s.disks![0], writeBps: 5e8, writeIops: 5000, utilPct: 100 }],
  };
}

function row(): MachineRow {
  return {
    id: "m1",
    name: "m1",
    hostname: "m1",
    os: "linux",
    arch: "x86_64",
    cores: 2,
    memTotal: 8e9,
    agentVersion: "0.1.0",
    intervalMs: 1000,
    firstSeen: T0,
    lastSeen: T0,
    lastSeq: -1,
  };
}

Deno.test("the detection service opens a stored, emitted event when a quiet machine saturates", async () => {
  const temp = await openTempStore();
  try {
    const store = temp.store;
    store.registerMachine(row(), T0);
    let clock = T0;
    const detection = createDetectionService(store, { log: () => {}, now: () => clock });
    const events: AnomalyEvent[] = [];
    detection.onEvent((e) => events.push(e));
    let seq = 0;
    for (; seq < 900; seq++) {
      clock = T0 + seq * 1000;
      const verdict = detection.observe(row(), quiet(seq));
      assert.equal(verdict.anomalous, false, `quiet sample ${seq} judged anomalous`);
    }
    let flagged = 0;
    for (let i = 0; i < 30; i++, seq++) {
      clock = T0 + seq * 1000;
      if (detection.observe(row(), busy(seq)).anomalous) flagged++;
    }
    assert.ok(flagged > 0, "the saturated samples were flagged");
    assert.ok(events.length > 0, "an event was emitted");
    assert.equal(events[0].machineId, "m1");
    const stored = store.listAnomalies({ from: 0, to: clock + 1, machineId: "m1" });
    assert.equal(stored.length, 1);
    assert.equal(stored[0].id, events[0].id);
    assert.equal(stored[0].end, null);
    detection.close();
  } finally {
    await temp.dispose();
  }
});

Deno.test("events a previous run left open are closed at the machine's last sample", async () => {
  const temp = await openTempStore();
  try {
    const store = temp.store;
    store.registerMachine(row(), T0);
    store.touchMachines(new Map([["m1", T0 + 5000]]));
    const id = store.openAnomaly({
      machineId: "m1",
      start: T0 + 1000,
      end: null,
      peakScore: 0.8,
      reason: "cpu.usage",
      causes: [],
    });
    createDetectionService(store, { log: () => {} }).close();
    const [event] = store.listAnomalies({ from: 0, to: Date.now(), machineId: "m1" });
    assert.equal(event.id, id);
    assert.equal(event.end, T0 + 5000);
    assert.equal(event.closeReason, "restarted");
  } finally {
    await temp.dispose();
  }
});

Deno.test("warm starts beyond the per-second budget wait, giving no verdict meanwhile", async () => {
  const temp = await openTempStore();
  try {
    const store = temp.store;
    const detection = createDetectionService(store, {
      log: () => {},
      now: () => 0,
      warmStartsPerSecond: 1,
    });
    const a = { ...row(), id: "a" };
    const b = { ...row(), id: "b" };
    store.registerMachine(a, T0);
    store.registerMachine(b, T0);
    let lastA, lastB;
    for (let seq = 0; seq < 300; seq++) {
      lastA = detection.observe(a, { ...quiet(seq), machineId: "a" });
      lastB = detection.observe(b, { ...quiet(seq), machineId: "b" });
    }
    assert.equal(typeof lastA?.score, "number", "the first machine got its detector");
    assert.deepEqual(lastB, { score: null, anomalous: false, reason: null }, "the second waits");
    detection.close();
  } finally {
    await temp.dispose();
  }
});

Deno.test("samples that arrive over an hour after they were taken get no verdict and are not observed", async () => {
  const temp = await openTempStore();
  try {
    const store = temp.store;
    store.registerMachine(row(), T0);
    const clock = T0 + 2 * 3_600_000;
    const detection = createDetectionService(store, { log: () => {}, now: () => clock });
    for (let seq = 0; seq < 300; seq++) {
      const verdict = detection.observe(row(), quiet(seq)); // taken about two hours ago
      assert.deepEqual(verdict, { score: null, anomalous: false, reason: null });
    }
    let scored = 0;
    for (let seq = 0; seq < 300; seq++) {
      const fresh = { ...quiet(seq), ts: clock - 1000 };
      if (detection.observe(row(), fresh).score !== null) scored++;
    }
    assert.ok(scored > 0 && scored <= 300 - 120, "the fresh samples went through warm-up first");
    detection.close();
  } finally {
    await temp.dispose();
  }
});

/** A service whose machine m1 has just opened an event: 900 quiet samples, then busy ones. */
async function withOpenEvent(
  check: (
    parts: {
      detection: ReturnType<typeof createDetectionService>;
      store: Store;
      events: AnomalyEvent[];
      next: (sample: (seq: number) => Sample) => void;
    },
  ) => void,
) {
  const temp = await openTempStore();
  try {
    const store = temp.store;
    store.registerMachine(row(), T0);
    let clock = T0, seq = 0;
    const detection = createDetectionService(store, { log: () => {}, now: () => clock });
    const events: AnomalyEvent[] = [];
    detection.onEvent((e) => events.push(e));
    const next = (sample: (seq: number) => Sample) => {
      clock = T0 + seq * 1000;
      detection.observe(row(), sample(seq++));
    };
    while (seq < 900) next(quiet);
    while (events.length === 0 && seq < 960) next(busy);
    assert.equal(events.at(-1)?.end, null, "an event is open");
    check({ detection, store, events, next });
    detection.close();
  } finally {
    await temp.dispose();
  }
}

Deno.test("a machine going offline closes its open event with reason offline, once", async () => {
  await withOpenEvent(({ detection, store, events }) => {
    const emitted = events.length;
    detection.machineOffline("m1");
    assert.equal(events.length, emitted + 1);
    const closed = events.at(-1)!;
    assert.equal(closed.closeReason, "offline");
    assert.notEqual(closed.end, null);
    const [stored] = store.listAnomalies({ from: 0, to: Date.now(), machineId: "m1" });
    assert.equal(stored.id, closed.id);
    assert.equal(stored.end, closed.end);
    assert.equal(stored.closeReason, "offline");
    detection.machineOffline("m1");
    detection.machineOffline("never-seen");
    assert.equal(events.length, emitted + 1, "nothing more to close");
  });
});

Deno.test("an event closes with reason recovered once the machine is quiet again", async () => {
  await withOpenEvent(({ store, events, next }) => {
    for (let i = 0; i < 600 && events.at(-1)!.end === null; i++) next(quiet);
    const closed = events.at(-1)!;
    assert.notEqual(closed.end, null, "the event closed");
    assert.equal(closed.closeReason, "recovered");
    const [stored] = store.listAnomalies({ from: 0, to: Date.now(), machineId: "m1" });
    assert.equal(stored.closeReason, "recovered");
  });
});
