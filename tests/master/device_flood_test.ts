import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { DEFAULT_DEVICES_PER_FAMILY } from "../../src/master/device_budget.ts";
import { openTempStore } from "./real_store.ts";
import { connectWorker, makeSample, startTestMaster, UI_TOKEN } from "./test_master.ts";

Deno.test("ever-new device names from a token holder do not grow the series catalogue", async () => {
  const temp = await openTempStore();
  const t = await startTestMaster({ store: temp.store });
  try {
    const { socket } = await connectWorker(t.ws, "flooder");
    const t0 = Date.now() - 3_600_000;
    for (let frame = 0; frame < 20; frame++) {
      const samples = Array.from({ length: 50 }, (_, i) => {
        const seq = frame * 50 + i;
        const sample = makeSample("flooder", seq, t0 + seq * 1000);
        const disk = sample.disks![0];
        return {
          ...sample,
          disks: Array.from({ length: 10 }, (_, d) => ({ ...disk, name: `fake${seq}-${d}` })),
        };
      });
      socket.send({ type: "samples", v: 1, samples });
      assert.equal((await socket.nextOfType("ack")).seq, frame * 50 + 49);
    }
    const db = new DatabaseSync(`${temp.dir}/gridmon.db`, { readOnly: true });
    const series = (db.prepare("SELECT count(*) AS n FROM series WHERE key LIKE 'disk%'")
      .get() as { n: number }).n;
    db.close();
    // 10,000 names were sent; only the budget's worth got series (five metrics each).
    assert.equal(series, DEFAULT_DEVICES_PER_FAMILY * 5);
    const metrics = await (await fetch(`${t.http}/metrics`, {
      headers: { authorization: `Bearer ${UI_TOKEN}` },
    })).text();
    const refused = Number(
      /^gridmon_ingest_devices_refused_total\{family="disks"\} (\d+)$/m.exec(metrics)?.[1],
    );
    assert.equal(refused, 10_000 - DEFAULT_DEVICES_PER_FAMILY);
    assert.equal(t.logs.filter((l) => l.includes("more than")).length, 1);
    await socket.close();
  } finally {
    await t.master.close();
    await temp.dispose();
  }
});
