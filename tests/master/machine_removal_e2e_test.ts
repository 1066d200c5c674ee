/**
 * `gridmon master` and `gridmon worker` as real processes: a streaming machine is only removed
 * with force; its worker, disconnected, connects again on its own and the master brings the
 * machine back (with its kept data), saying so in its log.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnWorker } from "../helpers/worker_process.ts";
import { freePort, spawnMasterChild } from "./master_process.ts";

const TOKEN = "removal-e2e-join-token";

async function until(check: () => boolean | Promise<boolean>, what: string, output: () => string) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("a real worker's machine, removed with force, comes back when the worker reconnects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_removal_e2e_" });
  const port = freePort();
  const master = await spawnMasterChild({ dataDir: join(dir, "data"), port, token: TOKEN });
  const http = `http://127.0.0.1:${port}`;
  const worker = spawnWorker({
    spoolDir: join(dir, "spool"),
    masterUrl: `ws://127.0.0.1:${port}`,
    args: ["--token", TOKEN, "--machine-id", "e2e-removed", "--interval", "1s"],
  });
  const logs = () => `${master.output()}\n--- worker ---\n${worker.stderr.join("\n")}`;
  try {
    const auth = {
      Authorization: `Bearer ${(await Deno.readTextFile(join(dir, "data", "ui-token"))).trim()}`,
    };
    const machines = async () =>
      (await (await fetch(`${http}/api/machines`, { headers: auth })).json()) as {
        id: string;
        firstSeen: number;
        latest: { seq: number } | null;
      }[];
    await until(async () => ((await machines())[0]?.latest ?? null) !== null, "samples", logs);
    const { firstSeen } = (await machines())[0];
    const remove = (body: unknown) =>
      fetch(`${http}/api/machines/e2e-removed`, {
        method: "DELETE",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });

    const refused = await remove({ confirm: "e2e-removed", data: "keep" });
    assert.equal(refused.status, 409);
    assert.match((await refused.json()).error, /connected right now/);
    const forced = await remove({ confirm: "e2e-removed", data: "keep", force: true });
    assert.equal(forced.status, 200);
    assert.equal((await forced.json()).disconnected, true);
    assert.match(master.output(), /\(e2e-removed\) removed from the fleet \(worker disconnected\)/);

    await until(() => /reactivated/.test(master.output()), "the machine back", logs);
    assert.match(master.output(), /\(e2e-removed\), removed .*, connected again: reactivated/);
    assert.ok(worker.stderr.some((l) => /machine removed on the master/.test(l)), logs());
    const back = (await machines()).find((m) => m.id === "e2e-removed");
    assert.equal(back?.firstSeen, firstSeen, "the same machine, with its history");
  } finally {
    worker.child.kill("SIGTERM");
    await worker.done;
    master.child.kill("SIGTERM");
    await master.done;
    await Deno.remove(dir, { recursive: true });
  }
});
