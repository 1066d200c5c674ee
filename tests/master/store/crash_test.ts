import assert from "node:assert/strict";
import { openStore } from "../../../src/master/store/sqlite_store.ts";
import { RETENTION, rowOf, simpleSample } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 6, 0, 0, 30);

Deno.test("rows committed before a kill -9 are all there after reopening, rollups included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_crash_" });
  const path = `${dir}/gridmon.db`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("./crash_child.ts", import.meta.url).pathname,
        path,
        String(T0),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("committed 500")) {
      const { value, done } = await lines.read();
      if (done) break;
      text += value;
    }
    child.kill("SIGKILL");
    await child.status;
    await lines.cancel();
    assert.ok(text.includes("committed 500"), text);

    const end = T0 + 500 * 1000;
    const store = openStore({ path, retention: RETENTION, now: () => end });
    try {
      for (const id of ["a", "b"]) {
        assert.equal(store.getMachine(id)!.lastSeq, 499);
        const samples = store.recentSamples(id, 1000);
        assert.deepEqual(samples.map((s) => s.seq), Array.from({ length: 500 }, (_, i) => i));
        // The latest sample is the newest one, and the minute tier counts every row once.
        assert.equal(store.latestSamples().get(id)!.sample.seq, 499);
        const r = store.querySeries(id, { from: T0, to: end, points: 1, tier: "minute" });
        const raw = store.querySeries(id, { from: T0, to: end, points: 1, tier: "raw" });
        assert.equal(r.avg["cpu.usage"][0], raw.avg["cpu.usage"][0]);
        assert.equal(r.max["procs"][0], raw.max["procs"][0]);
      }
      // Replaying what the worker did not get acknowledged stores nothing twice.
      const acks = store.write([rowOf(simpleSample("a", T0 + 499_000, 499, 499))]);
      assert.deepEqual(acks, new Map([["a", 499]]));
      assert.equal(store.recentSamples("a", 1000).length, 500);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
