import assert from "node:assert/strict";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { type AgentOptions, startAgent } from "../../src/worker/agent.ts";
import { createBackoff } from "../../src/worker/backoff.ts";
import type { Sampler } from "../../src/worker/sampler_types.ts";
import { startFakeMaster } from "../helpers/fake_master.ts";

/** A sampler with fixed host facts and a counter as its only "metric". */
function fakeSampler(padding = 0): Sampler & { reads: number } {
  const sampler = {
    reads: 0,
    host: () =>
      Promise.resolve({
        machineId: "m-test",
        hostname: "test-host",
        os: "linux",
        arch: "x86_64",
        cores: 2,
        memTotal: 1024,
      }),
    read: () => {
      sampler.reads++;
      return Promise.resolve({
        ts: Date.now(),
        machineId: "m-test",
        hostname: padding > 0 ? "h".repeat(Math.min(padding, 200)) : "test-host",
        procs: sampler.reads,
        ...(padding > 200
          ? {
            disks: [{
              name: "x".repeat(200),
              readBps: 0,
              writeBps: 0,
              readIops: 0,
              writeIops: 0,
              utilPct: 0,
            }],
          }
          : {}),
      });
    },
  };
  return sampler;
}

function contiguous(seqs: number[], from = 0): boolean {
  return seqs.every((seq, i) => seq === from + i);
}

async function withAgent(
  options: Partial<AgentOptions> & { masterUrl: string },
  run: (ctx: { logs: string[]; agent: Awaited<ReturnType<typeof startAgent>> }) => Promise<void>,
): Promise<void> {
  const spoolDir = await Deno.makeTempDir();
  const logs: string[] = [];
  const agent = await startAgent({
    sampler: fakeSampler(),
    token: "secret",
    intervalMs: 250,
    spoolDir,
    spoolMaxBytes: 1 << 20,
    log: (message) => logs.push(message),
    backoff: createBackoff({ initialMs: 50, maxMs: 200 }),
    refusedRetryMs: 100,
    ...options,
  });
  try {
    await run({ logs, agent });
  } finally {
    await agent.stop();
    await Deno.remove(spoolDir, { recursive: true });
  }
}

Deno.test("every sample arrives exactly once and in order across dropped connections and a master outage", async () => {
  const master = startFakeMaster();
  try {
    await withAgent({ masterUrl: master.url }, async ({ logs, agent }) => {
      await master.waitFor(() => master.seqs().length >= 3, "3 samples");
      master.acking = false; // samples in flight, unacknowledged, when the cut comes
      await master.waitFor(() => master.seqs().length >= 5, "5 samples");
      master.dropConnections();
      master.acking = true;
      await master.waitFor(() => master.seqs().length >= 8, "8 samples after the cut");
      await master.down();
      const before = master.seqs().length;
      await master.waitFor(() => agent.spool.pendingCount >= 3, "3 samples spooled while down");
      assert.equal(agent.connectionState, "down");
      master.up();
      await master.waitFor(() => master.seqs().length >= before + 6, "the spool replayed");
      const seqs = master.seqs();
      assert.ok(contiguous(seqs), `committed seqs are not 0..n in order: ${seqs.join(",")}`);
      for (const sample of master.committed.get("m-test")!) {
        assert.ok(SampleSchema.safeParse(sample).success);
      }
      // One line per change of state, none per reconnect attempt.
      assert.equal(logs.filter((m) => m.startsWith("connected")).length, 3, logs.join("\n"));
      assert.equal(logs.filter((m) => m.startsWith("disconnected")).length, 2, logs.join("\n"));
      assert.equal(logs.length, 5, logs.join("\n"));
    });
  } finally {
    await master.down();
  }
});

Deno.test("a worker never sends more than maxSamplesPerFrame per frame when replaying a backlog", async () => {
  const master = startFakeMaster();
  await master.down();
  const spoolDir = await Deno.makeTempDir();
  try {
    // Fill a spool with 1200 samples as a long outage would, then connect.
    const { openSpool } = await import("../../src/worker/spool.ts");
    const spool = await openSpool({ dir: spoolDir, maxBytes: 1 << 24, log: () => {} });
    for (let i = 0; i < 1200; i++) {
      await spool.append({ ts: 1_700_000_000_000 + i, machineId: "m-test", hostname: "h" });
    }
    await spool.close();
    master.up();
    await withAgent({ masterUrl: master.url, spoolDir }, async () => {
      await master.waitFor(() => master.seqs().length >= 1201, "the backlog and a live sample");
      assert.ok(contiguous(master.seqs()));
      assert.ok(master.frames >= 3, `1200 samples came in ${master.frames} frames`);
      assert.equal(new Set(master.received).size, master.received.length, "no sample sent twice");
    });
  } finally {
    await master.down();
  }
});

Deno.test("a refused token is logged once, kept out of every log line, and stores nothing", async () => {
  const master = startFakeMaster({ token: "right-token" });
  try {
    await withAgent({ masterUrl: master.url, token: "tok-WRONG-4242" }, async ({ logs, agent }) => {
      await master.waitFor(() => master.refused >= 3, "three refused attempts");
      assert.equal(master.seqs().length, 0);
      assert.equal(master.hellos.length, 0);
      assert.equal(agent.connectionState, "refused");
      assert.equal(
        logs.filter((m) => m.includes("refused the join token")).length,
        1,
        logs.join("\n"),
      );
      assert.ok(logs.every((m) => !m.includes("tok-WRONG-4242")), "the token leaked into a log");
      assert.ok(agent.spool.pendingCount > 0, "sampling goes on while refused");
    });
  } finally {
    await master.down();
  }
});

Deno.test("a worker with a fresh spool numbers after the master's lastSeq", async () => {
  const master = startFakeMaster({ lastSeq: { "m-test": 1000 } });
  try {
    await withAgent({ masterUrl: master.url }, async () => {
      await master.waitFor(() => master.seqs().length >= 2, "2 samples");
      const seqs = master.seqs();
      assert.ok(contiguous(seqs, 1001), seqs.join(","));
    });
  } finally {
    await master.down();
  }
});

Deno.test("samples dropped by a full spool are reported to the master", async () => {
  const master = startFakeMaster();
  await master.down();
  try {
    await withAgent(
      { masterUrl: master.url, sampler: fakeSampler(400), spoolMaxBytes: 4096 },
      async ({ agent, logs }) => {
        await master.waitFor(() => agent.spool.dropped >= 2, "2 drops");
        master.up();
        await master.waitFor(() => master.dropped >= 2, "the drop count at the master");
        const seqs = master.seqs();
        assert.ok(seqs[0] > 0, "the oldest samples were dropped");
        assert.ok(contiguous(seqs, seqs[0]), seqs.join(","));
        assert.equal(logs.filter((m) => m.includes("spool: full")).length, 1, logs.join("\n"));
      },
    );
  } finally {
    await master.down();
  }
});

Deno.test("a sample the master rejects is removed instead of blocking the stream", async () => {
  const master = startFakeMaster();
  const sampler = fakeSampler();
  const read = sampler.read;
  sampler.read = async () => {
    const sample = await read();
    return sampler.reads === 3 ? { ...sample, procs: -1 } : sample; // seq 2 is invalid
  };
  try {
    await withAgent({ masterUrl: master.url, sampler }, async ({ logs }) => {
      await master.waitFor(() => master.seqs().length >= 4, "4 valid samples");
      const seqs = master.seqs();
      assert.deepEqual(seqs.slice(0, 4), [0, 1, 3, 4]);
      assert.equal(master.invalid.length, 1);
      assert.ok(logs.some((m) => m.includes("removed 1 samples the master cannot accept")));
    });
  } finally {
    await master.down();
  }
});

Deno.test("stop() waits for the acks of samples in flight and closes with 1000", async () => {
  const master = startFakeMaster();
  try {
    let spool: Awaited<ReturnType<typeof startAgent>>["spool"] | undefined;
    await withAgent({ masterUrl: master.url }, async ({ agent }) => {
      spool = agent.spool;
      await master.waitFor(() => master.seqs().length >= 3, "3 samples");
    });
    assert.equal(spool!.pendingCount, 0, "everything sent was acknowledged before closing");
    await master.waitFor(() => master.connections === 0, "the socket closed");
  } finally {
    await master.down();
  }
});
