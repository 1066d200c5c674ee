/**
 * `bash scripts/start.sh` stops gracefully however the stop signal arrives: Ctrl-C in a terminal
 * (SIGINT to the whole process group, so `deno task` and the master both get it), or a signal to
 * the script's own process only. Graceful means the master logs "stopped" and SQLite's -wal file
 * is checkpointed away.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnInGroup } from "../helpers/process_group.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

type Stop = { signal: Deno.Signal; to: "group" | "script" };

async function startAndStop(stop: Stop): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_start_sh_" });
  const data = join(dir, "data");
  const script = spawnInGroup(["bash", "scripts/start.sh", "--data", data, "--port", "0"], {
    cwd: REPO_ROOT,
  });
  try {
    await script.waitFor(/Add a machine by running on it/, 60_000);
    // The local worker has written samples, so there is a -wal file to checkpoint.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(await exists(join(data, "gridmon.db-wal")), "a running master has a -wal file");
    script.signal(stop.signal, stop.to === "group" ? "group" : "process");
    const status = await script.done;
    const output = script.output();
    assert.match(output, new RegExp(`${stop.signal}: shutting down`), output);
    assert.match(output, /gridmon master: stopped\n/, output);
    assert.equal(status.code, 0, output);
    assert.equal(await exists(join(data, "gridmon.db-wal")), false, "no -wal file left");
  } finally {
    await script.kill();
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

for (
  const stop of [
    { signal: "SIGINT", to: "group" },
    { signal: "SIGINT", to: "script" },
    { signal: "SIGTERM", to: "script" },
  ] as Stop[]
) {
  Deno.test(`scripts/start.sh stops gracefully on ${stop.signal} to the ${stop.to}`, () =>
    startAndStop(stop));
}
