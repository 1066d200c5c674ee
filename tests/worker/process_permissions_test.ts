/**
 * Processes the worker may not read are counted, not guessed: a scan run as `nobody` on a procfs
 * mounted with hidepid=1 (other users' /proc/PID listed, not readable), and on one without it
 * (their stat readable, their io not). Mounting a procfs needs root, as the suite runs.
 */
import assert from "node:assert/strict";
import type { ProcessScan } from "../../src/worker/collectors/process_table.ts";

const HELPER = new URL("../helpers/scan_processes_main.ts", import.meta.url).pathname;
const NOBODY = 65534;

async function run(command: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(command, { args, stderr: "piped" }).output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr).trim()} ` +
        "(this test mounts a procfs: run the suite as root)",
    );
  }
}

/**
 * Runs the helper as nobody against a procfs mounted at a temporary path with `options`;
 * returns its scan and the pids of nobody's own two processes (the scanner and a sleeper).
 */
async function scanAsNobody(options: string): Promise<{ scan: ProcessScan; own: number[] }> {
  const mount = Deno.makeTempDirSync({ prefix: "gridmon-proc-" });
  const denoDir = Deno.makeTempDirSync({ prefix: "gridmon-deno-dir-" });
  await run("chown", [`${NOBODY}:${NOBODY}`, denoDir]);
  await run("mount", ["-t", "proc", "-o", options, "proc", mount]);
  // root's own processes, so that other users' processes exist however bare the machine is
  // (a CI container may run little else)
  const rootSleepers = Array.from(
    { length: 12 },
    () => new Deno.Command("sleep", { args: ["30"] }).spawn(),
  );
  // a process of nobody's own besides the scanner, which it may read
  const sleeper = new Deno.Command("setpriv", {
    args: ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups", "sleep", "30"],
  }).spawn();
  try {
    const output = await new Deno.Command("setpriv", {
      args: [
        "--reuid",
        String(NOBODY),
        "--regid",
        String(NOBODY),
        "--clear-groups",
        Deno.execPath(),
        "run",
        "--no-config",
        "--no-lock",
        `--allow-read=${mount}`,
        HELPER,
        mount,
      ],
      env: { DENO_DIR: denoDir, HOME: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.equal(stderr, "", "no process file failed in an unexpected way");
    const { scan, pid } = JSON.parse(new TextDecoder().decode(output.stdout));
    return { scan, own: [pid, sleeper.pid] };
  } finally {
    for (const child of [sleeper, ...rootSleepers]) {
      child.kill();
      await child.status;
    }
    await run("umount", [mount]);
    Deno.removeSync(mount);
    Deno.removeSync(denoDir, { recursive: true });
  }
}

Deno.test({
  name: "under hidepid=1 other users' processes are counted as unreadable, nothing more",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { scan, own } = await scanAsNobody("hidepid=1");
    const readable = scan.total - scan.counts.unreadable;
    // nobody reads its own two (the scanner and the sleeper), and every other is counted
    assert.equal(readable, 2, JSON.stringify(scan.counts));
    assert.ok(scan.counts.unreadable >= 10, `${scan.counts.unreadable} unreadable`);
    const states = scan.counts.running + scan.counts.sleeping + scan.counts.blocked +
      scan.counts.zombie + scan.counts.stopped + scan.counts.other;
    assert.equal(states, readable);
    assert.deepEqual(scan.report.top.map((e) => e.pid).sort(), own.sort());
    assert.equal(scan.report.ioUnreadable, 0);
  },
});

Deno.test({
  name: "without hidepid another user's processes are listed, their disk I/O unknown",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { scan, own } = await scanAsNobody("rw");
    assert.equal(scan.counts.unreadable, 0);
    const others = scan.report.top.filter((e) => !own.includes(e.pid));
    assert.ok(others.length >= 10, "other users' processes rank by CPU and memory");
    for (const entry of others) {
      assert.equal(entry.readBps, null, `${entry.name} (${entry.pid})`);
      assert.equal(entry.writeBps, null);
    }
    // every process but nobody's two has io it may not read
    assert.equal(scan.report.ioUnreadable, scan.total - 2);
  },
});
