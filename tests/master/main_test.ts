import assert from "node:assert/strict";
import { join } from "node:path";
import { MASTER_HELP } from "../../src/cli/master_args.ts";
import { masterPermissionFlags } from "../../src/master/permissions.ts";
import { spawnMasterChild } from "./master_process.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "main-test-join-token-0123456789";

Deno.test("master prints the Dashboard URL and the worker command once, keeps tokens 0600, stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_main_" });
  const dataDir = join(dir, "data");
  const master = await spawnMasterChild({ dataDir, port: 0, token: TOKEN });
  try {
    const uiToken = (await Deno.readTextFile(join(dataDir, "ui-token"))).trim();
    assert.match(uiToken, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await Deno.readTextFile(join(dataDir, "token"))).trim(), TOKEN);
    for (const file of ["token", "ui-token"]) {
      assert.equal((await Deno.stat(join(dataDir, file))).mode! & 0o777, 0o600, file);
    }
    await new Promise((r) => setTimeout(r, 200));
    const out = master.output();
    const dashboard = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\/login#token=(\S+)/.exec(out);
    assert.ok(dashboard, out);
    assert.equal(dashboard[2], uiToken);
    const port = Number(dashboard[1]);
    assert.ok(out.includes(`gridmon worker --master 127.0.0.1:${port} --token ${TOKEN}\n`), out);
    assert.equal(out.split(uiToken).length, 2, "the UI token is printed once");
    assert.equal(out.split(TOKEN).length, 2, "the join token is printed once");

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal((await health.json()).status, "ok");

    master.child.kill("SIGTERM");
    const status = await master.done;
    assert.equal(status.code, 0);
    const after = master.output();
    assert.match(after, /SIGTERM: shutting down/);
    assert.equal(after.split(uiToken).length, 2, "no token in the shutdown logs");
    assert.equal(after.split(TOKEN).length, 2);
  } finally {
    try {
      master.child.kill("SIGKILL");
    } catch { /* stopped */ }
    await master.done;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("master --help prints the help and starts nothing", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...masterPermissionFlags({ dataDir: "/nonexistent" }),
      join(REPO_ROOT, "main.ts"),
      "master",
      "--help",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0);
  assert.equal(new TextDecoder().decode(output.stdout), `${MASTER_HELP}\n`);
});

Deno.test("master refuses a --ui-token equal to the join token", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...masterPermissionFlags({ dataDir: dir, localWorker: false }),
        join(REPO_ROOT, "main.ts"),
        "master",
        "--data",
        dir,
        "--token",
        TOKEN,
        "--ui-token",
        TOKEN,
        "--no-local-worker",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 2);
    assert.match(new TextDecoder().decode(output.stderr), /--ui-token: must differ/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
