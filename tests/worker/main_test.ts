import assert from "node:assert/strict";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { WORKER_HELP } from "../../src/cli/worker_args.ts";
import { runWorker, snapshotProcRoot } from "../helpers/worker_process.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "gridmon-worker-main-" });
}

Deno.test("worker --print --once prints one valid sample of this machine", async () => {
  const dir = await tempDir();
  try {
    const { code, stdout, stderr } = await runWorker({
      spoolDir: dir,
      args: ["--print", "--once", "--interval", "250ms"],
    });
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1, stdout);
    const parsed = SampleSchema.safeParse(JSON.parse(lines[0]));
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    assert.equal(parsed.data.seq, 0);
    if (Deno.build.os === "linux") {
      assert.equal(typeof parsed.data.cpu?.usage, "number", "--once measures CPU over an interval");
      assert.ok(parsed.data.mem && parsed.data.mem.total > 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "worker --print --once runs with scoped permissions when procfs is reachable outside /proc",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await tempDir();
    try {
      const roots = await snapshotProcRoot(dir);
      const { code, stdout, stderr, flags } = await runWorker({
        spoolDir: `${dir}/spool`,
        ...roots,
        args: ["--print", "--once", "--interval", "250ms"],
      });
      assert.ok(!flags.includes("--allow-all"), flags.join(" "));
      assert.equal(code, 0, stderr);
      assert.doesNotMatch(stderr, /NotCapable|Requires/, "a permission was missing");
      const sample = SampleSchema.parse(JSON.parse(stdout));
      assert.ok(sample.mem && sample.mem.total > 0);
      assert.ok(sample.load);
      assert.ok(sample.machineId.length > 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("worker --help prints the worker help and exits 0", async () => {
  const dir = await tempDir();
  try {
    const { code, stdout } = await runWorker({ spoolDir: dir, args: ["--help"] });
    assert.equal(code, 0);
    assert.equal(stdout.trim(), WORKER_HELP.trim());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("worker with a bad flag or value prints one line and exits 2", async () => {
  const dir = await tempDir();
  try {
    for (
      const args of [
        ["--bogus"],
        ["--print", "--interval", "0"],
        ["--master", "::::"],
        ["--master", "127.0.0.1", "--spool-max", "10"],
      ]
    ) {
      const { code, stdout, stderr } = await runWorker({ spoolDir: dir, args });
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "");
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /^gridmon: /);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
