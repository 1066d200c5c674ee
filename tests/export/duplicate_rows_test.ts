/** Replays the store skips are marked, so the export does not send them a second time. */
import assert from "node:assert/strict";
import { createMachineModel } from "../../src/simulate/machine_model.ts";
import type { IngestRow } from "../../src/master/store/store_types.ts";
import { openTempStore } from "../master/real_store.ts";

Deno.test("store.write marks rows it already had (a worker's replay) as duplicate, and only those", async () => {
  const { store, dispose } = await openTempStore();
  try {
    const model = createMachineModel("dup", 0);
    const hello = model.hello("t", 1000);
    const info = { ...hello, id: hello.machineId, name: "dup-0" };
    store.registerMachine(info, Date.now());
    const now = Date.now();
    const rowsOf = (seqs: number[]): IngestRow[] =>
      seqs.map((seq) => ({
        machineId: hello.machineId,
        sample: model.sampleAt(now - 10_000 + seq * 1000, seq),
        receivedAt: now,
      }));
    const first = rowsOf([0, 1, 2]);
    store.write(first);
    assert.deepEqual(first.map((r) => r.duplicate), [undefined, undefined, undefined]);
    const replay = rowsOf([1, 2, 3, 4]);
    store.write(replay);
    assert.deepEqual(replay.map((r) => r.duplicate), [true, true, undefined, undefined]);
  } finally {
    await dispose();
  }
});
