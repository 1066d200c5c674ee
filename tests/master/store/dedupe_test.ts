import assert from "node:assert/strict";
import { machineInfo, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 2, 0, 0, 0);

/** How many raw rows the machine has. */
function countRows(store: Awaited<ReturnType<typeof tempStore>>["store"], id: string): number {
  return store.recentSamples(id, 100_000).length;
}

Deno.test("write() skips rows whose (machine, seq) is stored and returns the highest seq", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    store.registerMachine(machineInfo("a"), T0);
    const rows = [0, 1, 2, 5, 6].map((seq) => rowOf(simpleSample("a", T0 + seq * 1000, seq, seq)));
    assert.deepEqual(store.write(rows), new Map([["a", 6]]));
    // A replay of everything plus one new row, and a duplicate inside one batch.
    const replay = [...rows, rowOf(simpleSample("a", T0 + 7000, 7, 7)), rows[1]];
    assert.deepEqual(store.write(replay), new Map([["a", 7]]));
    assert.equal(countRows(store, "a"), 6);
    assert.equal(store.getMachine("a")!.lastSeq, 7);
    const minute = store.querySeries("a", { from: T0, to: T0 + 59_999, points: 1, tier: "minute" });
    const usage = [0, 1, 2, 5, 6, 7].map((k) => simpleSample("a", 0, 0, k).cpu!.usage!);
    assert.equal(minute.avg["cpu.usage"][0], usage.reduce((a, b) => a + b) / usage.length);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("write() stores a gap filled later and keeps the highest seq", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    store.write([rowOf(simpleSample("a", T0, 0, 0)), rowOf(simpleSample("a", T0 + 3000, 3, 3))]);
    assert.deepEqual(store.write([rowOf(simpleSample("a", T0 + 1000, 1, 1))]), new Map([["a", 3]]));
    assert.deepEqual(store.recentSamples("a", 10).map((s) => s.seq), [0, 1, 3]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("write() recognises a replayed clock-skewed row clamped to another time", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    const skewed = (receivedAt: number) => ({
      ...rowOf({ ...simpleSample("a", receivedAt, 4, 4) }),
      receivedAt,
      clockSkewed: true,
    });
    store.write([skewed(T0)]);
    assert.deepEqual(store.write([skewed(T0 + 60_000)]), new Map([["a", 4]]));
    assert.equal(countRows(store, "a"), 1);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("write() returns the last seq of every machine in the batch, duplicates only too", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    store.write([rowOf(simpleSample("a", T0, 10, 0)), rowOf(simpleSample("b", T0, 3, 0))]);
    const acks = store.write([
      rowOf(simpleSample("a", T0, 10, 0)),
      rowOf(simpleSample("b", T0 + 1000, 4, 0)),
    ]);
    assert.deepEqual(acks, new Map([["a", 10], ["b", 4]]));
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed write commits nothing and the store keeps working", async () => {
  const { store, dir } = await tempStore(() => T0);
  try {
    store.write([rowOf(simpleSample("a", T0, 0, 0))]);
    const bad = rowOf(simpleSample("a", T0 + 1000, 1, 1));
    // A row the database refuses (ts must be an integer) after a good one in the same batch.
    const broken = { ...rowOf(simpleSample("a", T0 + 2000, 2, 2)) };
    broken.sample = { ...broken.sample, ts: "later" as unknown as number };
    assert.throws(() => store.write([bad, broken]), TypeError);
    assert.equal(store.getMachine("a")!.lastSeq, 0);
    assert.deepEqual(store.recentSamples("a", 10).map((s) => s.seq), [0]);
    assert.deepEqual(store.write([bad]), new Map([["a", 1]]));
    assert.deepEqual(store.recentSamples("a", 10).map((s) => s.seq), [0, 1]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
