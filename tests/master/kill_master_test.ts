/**
 * The durability promise, end to end: real worker processes stream to a real master process;
 * the master is killed with SIGKILL and restarted on the same port and data directory; the
 * workers reconnect and replay. Every sample committed before the kill (a superset of those
 * acknowledged) is there once, and each machine's seqs have no gap.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../../src/master/store/sqlite_store.ts";
import { DEFAULT_RETENTION, parseRetention } from "../../src/cli/master_args.ts";
import { masterHostPort, workerPermissionFlags } from "../../src/worker/permissions.ts";
import { snapshotProcRoot } from "../helpers/worker_process.ts";
import { freePort, spawnMasterChild } from "./master_process.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "kill-test-join-token-0123456789";
const WORKERS = 3;

/**
 * A worker subprocess with the worker's own permission flags, except that /etc/machine-id is
 * withheld: each worker then keeps its own generated id in its spool, so three workers on this
 * one host are three machines.
 */
function spawnWorker(
  spoolDir: string,
  masterUrl: string,
  roots: { procRoot: string; sysRoot: string },
) {
  const flags = workerPermissionFlags({
    spoolDir,
    masterHostPort: masterHostPort(masterUrl),
    ...roots,
  }).map((flag) =>
    flag.startsWith("--allow-read=")
      ? `--allow-read=${roots.procRoot},${roots.sysRoot},${spoolDir},/etc/os-release,/usr/lib/os-release`
      : flag
  );
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      join(REPO_ROOT, "main.ts"),
      "worker",
      "--master",
      masterUrl,
      "--token",
      TOKEN,
      "--interval",
      "250ms",
      "--spool",
      spoolDir,
      "--proc-root",
      roots.procRoot,
      "--sys-root",
      roots.sysRoot,
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Committed seq per machine, from the master's API. */
async function committedSeqs(port: number, uiToken: string): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/api/machines`, {
    headers: { Authorization: `Bearer ${uiToken}` },
  });
  const machines = await response.json() as { id: string; latest: { seq: number } | null }[];
  return new Map(machines.map((m) => [m.id, m.latest?.seq ?? -1]));
}

async function waitUntil(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "kill -9 of the master loses no committed sample and replay leaves no gap",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridmon_kill_" });
    const dataDir = join(dir, "data");
    const roots = await snapshotProcRoot(dir);
    const port = freePort();
    const workers: Deno.ChildProcess[] = [];
    let master = await spawnMasterChild({ dataDir, port, token: TOKEN });
    try {
      const uiToken = (await Deno.readTextFile(join(dataDir, "ui-token"))).trim();
      const url = `ws://127.0.0.1:${port}`;
      for (let i = 0; i < WORKERS; i++) {
        workers.push(spawnWorker(join(dir, `spool${i}`), url, roots));
      }

      let before = new Map<string, number>();
      await waitUntil(async () => {
        before = await committedSeqs(port, uiToken);
        return before.size === WORKERS && [...before.values()].every((seq) => seq >= 4);
      }, "every worker to stream");

      master.child.kill("SIGKILL");
      await master.done;
      before = new Map([...before].map(([id, seq]) => [id, seq])); // at least this was committed
      await new Promise((r) => setTimeout(r, 1500)); // the workers keep sampling into their spools

      master = await spawnMasterChild({ dataDir, port, token: TOKEN });
      const target = new Map([...before].map(([id, seq]) => [id, seq + 12]));
      await waitUntil(async () => {
        const now = await committedSeqs(port, uiToken);
        return [...target].every(([id, seq]) => (now.get(id) ?? -1) >= seq);
      }, "the workers to reconnect and replay");

      for (const worker of workers) worker.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.status));
      master.child.kill("SIGTERM");
      const status = await master.done;
      assert.equal(status.code, 0, master.output());

      const store = openStore({
        path: join(dataDir, "gridmon.db"),
        retention: parseRetention(DEFAULT_RETENTION),
      });
      try {
        assert.equal(store.listMachines().length, WORKERS);
        for (const [id, committedBeforeKill] of before) {
          const seqs = store.recentSamples(id, 1_000_000).map((s) => s.seq);
          const unique = new Set(seqs);
          assert.equal(unique.size, seqs.length, `machine ${id}: a seq is stored twice`);
          const sorted = [...unique].sort((a, b) => a - b);
          assert.equal(sorted[0], 0, `machine ${id}: the first sample is missing`);
          const last = sorted.at(-1)!;
          assert.equal(sorted.length, last + 1, `machine ${id}: gap in ${sorted.join(",")}`);
          assert.ok(last >= committedBeforeKill + 12, `machine ${id}: replay did not arrive`);
        }
      } finally {
        store.close();
      }
    } finally {
      for (const worker of workers) {
        try {
          worker.kill("SIGKILL");
        } catch { /* already gone */ }
        await worker.status;
      }
      try {
        master.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await master.done;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
