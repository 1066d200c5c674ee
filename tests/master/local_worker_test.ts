import assert from "node:assert/strict";
import { DEFAULT_NET_EXCLUDE } from "../../src/cli/worker_args.ts";
import { createSampler } from "../../src/worker/sampler.ts";
import { createMemoryStore, type MemoryStore } from "./memory_store.ts";
import { makeHello, startTestMaster, TestSocket, waitFor } from "./test_master.ts";
import { CLOSE } from "../../src/protocol/messages.ts";

function realSampler(stateDir: string) {
  return createSampler({
    procRoot: "/proc",
    sysRoot: "/sys",
    netExclude: new RegExp(DEFAULT_NET_EXCLUDE),
    stateDir,
  });
}

Deno.test("the local worker stores this host's samples and continues its seqs after a restart", async () => {
  const stateDir = await Deno.makeTempDir();
  const store = createMemoryStore();
  const sampler = realSampler(stateDir);
  const host = await sampler.host();
  try {
    const first = await startTestMaster<MemoryStore>({
      store,
      localSampler: sampler,
      intervalMs: 250,
    });
    await waitFor(() => store.rows.length >= 2, "two local samples");
    await first.master.close();
    const seqs = store.rows.map((r) => r.sample.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i));
    assert.ok(store.rows.every((r) => r.machineId === host.machineId));
    const machine = store.getMachine(host.machineId)!;
    assert.equal(machine.hostname, host.hostname);
    assert.equal(machine.intervalMs, 250);
    assert.ok(store.rows[1].sample.mem!.total > 0, "real memory figures");

    const before = store.rows.length;
    const second = await startTestMaster<MemoryStore>({
      store,
      localSampler: sampler,
      intervalMs: 250,
    });
    await waitFor(() => store.rows.length >= before + 1, "a sample after the restart");
    await second.master.close();
    assert.equal(store.rows[before].sample.seq, before, "seq continues after the last stored one");
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("a remote worker cannot take the local worker's machine id while it reports", async () => {
  const stateDir = await Deno.makeTempDir();
  const sampler = realSampler(stateDir);
  const host = await sampler.host();
  const t = await startTestMaster<MemoryStore>({ localSampler: sampler, intervalMs: 250 });
  try {
    await waitFor(() => t.store.rows.length >= 1, "a local sample");
    const socket = new TestSocket(`${t.ws}/ws/worker`);
    await socket.opened;
    socket.send(makeHello(host.machineId));
    assert.equal((await socket.closed).code, CLOSE.duplicateMachine);
  } finally {
    await t.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});
