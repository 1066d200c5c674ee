import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeMaster } from "../helpers/fake_master.ts";
import { snapshotProcRoot, spawnWorker } from "../helpers/worker_process.ts";

/** The samples a spool directory holds on disk: seq -> ts. */
async function spooledSamples(dir: string): Promise<Map<number, number>> {
  const samples = new Map<number, number>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith("seg-")) continue;
    for (const line of (await Deno.readTextFile(join(dir, entry.name))).split("\n")) {
      try {
        const { seq, ts } = JSON.parse(line);
        samples.set(seq, ts);
      } catch { /* a line being written */ }
    }
  }
  return samples;
}

Deno.test({
  name:
    "a worker killed with SIGKILL and restarted replays what its spool held, exactly once and in order",
  // Scoped permissions need procfs outside /proc; elsewhere the portable collectors run.
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridmon-replay-" });
    const spoolDir = join(dir, "spool");
    const roots = await snapshotProcRoot(dir);
    const master = startFakeMaster({ token: "replay-token" });
    const options = {
      spoolDir,
      masterUrl: master.url,
      ...roots,
      args: ["--token", "replay-token", "--interval", "250ms"],
    };
    let second: ReturnType<typeof spawnWorker> | undefined;
    const first = spawnWorker(options);
    try {
      assert.ok(!first.flags.includes("--allow-all"), first.flags.join(" "));
      await master.waitFor(() => master.seqs().length >= 3, "3 samples from the first worker");
      await master.down();
      const committed = master.seqs().at(-1)!;
      let spooled = await spooledSamples(spoolDir);
      for (let i = 0; [...spooled.keys()].filter((seq) => seq > committed).length < 4; i++) {
        assert.ok(i < 300, "4 samples spooled while the master is down");
        await new Promise((resolve) => setTimeout(resolve, 50));
        spooled = await spooledSamples(spoolDir);
      }
      first.child.kill("SIGKILL");
      assert.equal((await first.done).signal, "SIGKILL");
      spooled = await spooledSamples(spoolDir);
      const unacknowledged = [...spooled.keys()].filter((seq) => seq > committed).sort((a, b) =>
        a - b
      );
      assert.ok(unacknowledged.length >= 4);

      master.up();
      second = spawnWorker(options);
      const last = unacknowledged.at(-1)!;
      await master.waitFor(() => master.seqs().includes(last + 2), "the replay and new samples");
      second.child.kill("SIGTERM");
      const status = await second.done;
      assert.equal(status.code, 0, second.stderr.join("\n"));

      const seqs = master.seqs();
      assert.deepEqual(seqs, seqs.map((_, i) => i), "committed seqs are 0..n, each once, in order");
      const rows = new Map(
        master.committed.get(master.hellos[0].machineId)!.map((s) => [s.seq, s]),
      );
      for (const seq of unacknowledged) {
        assert.equal(rows.get(seq)?.ts, spooled.get(seq), `seq ${seq} is the spooled sample`);
      }
      assert.equal(new Set(master.hellos.map((h) => h.machineId)).size, 1);
      assert.match(second.stderr.join("\n"), /unacknowledged samples .* to replay/);
      assert.match(second.stderr.join("\n"), /SIGTERM: flushing the spool/);
      assert.ok(!`${first.stderr}${second.stderr}`.includes("replay-token"), "token in a log line");
    } finally {
      for (const worker of [first, second]) {
        try {
          worker?.child.kill("SIGKILL");
        } catch { /* already gone */ }
        await worker?.done;
      }
      await master.down();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
