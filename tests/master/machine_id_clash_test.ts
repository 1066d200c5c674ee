/**
 * Cloned hosts: a real worker whose machine id another host already streams with is refused
 * with 4009, says once what to do, and joins with `--machine-id`; the master logs the clash once
 * and shows it on the machine in the API.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { machineIdClash } from "../../src/master/machine_id_clash.ts";
import type { IngestSession } from "../../src/master/ingest_hub.ts";
import { startFakeWorker } from "../helpers/fake_worker.ts";
import { spawnWorker } from "../helpers/worker_process.ts";
import { freePort, spawnMasterChild } from "./master_process.ts";

const TOKEN = "clash-test-join-token";

function session(hostname: string, peer: string): IngestSession {
  return { machineId: "m", hostname, peer, lastFrameAt: 0, ack() {}, close() {} };
}

Deno.test("a held id from another hostname or address is a clash; from the same host it is not", () => {
  const holder = session("vm-a", "10.0.0.5");
  assert.equal(machineIdClash(holder, session("vm-a", "10.0.0.5")), null);
  assert.equal(machineIdClash(undefined, session("vm-a", "10.0.0.5")), null);
  const clash = machineIdClash(holder, session("vm-b", "10.0.0.6"));
  assert.ok(clash);
  assert.ok(new TextEncoder().encode(clash.reason).length <= 123, "fits a WebSocket close reason");
  assert.match(clash.reason, /--machine-id/);
  assert.match(clash.log, /worker "vm-b" from 10\.0\.0\.6 .* "vm-a" \(10\.0\.0\.5\)/);
  assert.ok(machineIdClash(holder, session("vm-a", "10.0.0.9")), "same name, other address");
});

Deno.test("a cloned worker is refused with a hint, once, and joins with --machine-id", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_clash_" });
  const port = freePort();
  const master = await spawnMasterChild({ dataDir: join(dir, "data"), port, token: TOKEN });
  const url = `ws://127.0.0.1:${port}`;
  // The original: another host, streaming with the id the clone will claim.
  const original = await startFakeWorker({ port, joinToken: TOKEN }, {
    machineId: "cloned-id-1",
    hostname: "vm-original",
  });
  const clone = spawnWorker({
    spoolDir: join(dir, "spool-clone"),
    masterUrl: url,
    args: ["--token", TOKEN, "--machine-id", "cloned-id-1", "--interval", "1s"],
  });
  try {
    const deadline = Date.now() + 30_000;
    while (
      !clone.stderr.some((l) => /another host is connected with the same machine id/.test(l))
    ) {
      assert.ok(Date.now() < deadline, `no hint in the worker's log:\n${clone.stderr.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const hint = clone.stderr.find((l) => /same machine id/.test(l))!;
    assert.match(hint, /--machine-id ID or GRIDMON_MACHINE_ID=ID/);
    assert.match(hint, /retrying every 60 s/);
    // No blind retries: a few seconds later, still one attempt and one line.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(clone.stderr.filter((l) => /same machine id/.test(l)).length, 1);
    const machines = await (await fetch(`http://127.0.0.1:${port}/api/machines`, {
      headers: { authorization: `Bearer ${await uiToken(dir)}` },
    })).json() as { id: string; clash: { hostname: string; attempts: number } | null }[];
    const held = machines.find((m) => m.id === "cloned-id-1")!;
    assert.equal(held.clash?.attempts, 1);
    assert.equal(held.clash?.hostname, Deno.hostname());
    const logged = master.output().split("\n").filter((l) =>
      /uses machine id "cloned-id-1"/.test(l)
    );
    assert.equal(logged.length, 1, master.output());
    assert.match(logged[0], /"vm-original" .* refused \(4009\)\. A cloned VM or container\?/);
  } finally {
    clone.child.kill("SIGTERM");
    await clone.done;
  }
  // Given its own id, the same worker joins.
  const fixed = spawnWorker({
    spoolDir: join(dir, "spool-fixed"),
    masterUrl: url,
    args: ["--token", TOKEN, "--machine-id", "cloned-id-2"],
  });
  try {
    const deadline = Date.now() + 30_000;
    while (!fixed.stderr.some((l) => /connected to .* as /.test(l))) {
      assert.ok(Date.now() < deadline, `did not join:\n${fixed.stderr.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    fixed.child.kill("SIGTERM");
    await fixed.done;
    original.stop();
    master.child.kill("SIGTERM");
    await master.done;
    await Deno.remove(dir, { recursive: true });
  }
});

async function uiToken(dir: string): Promise<string> {
  return (await Deno.readTextFile(join(dir, "data", "ui-token"))).trim();
}
