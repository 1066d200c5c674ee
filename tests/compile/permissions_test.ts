import assert from "node:assert/strict";
import {
  COMPILE_PERMISSION_FLAGS,
  keptPermissions,
  kindsOfFlags,
  PERMISSION_KINDS,
} from "../../src/cli/permissions.ts";

const SERVER = ["read", "write", "net", "env", "sys"];

Deno.test("COMPILE_PERMISSION_FLAGS grant every kind, which Linux /proc reads need", () => {
  assert.deepEqual(COMPILE_PERMISSION_FLAGS, PERMISSION_KINDS.map((kind) => `--allow-${kind}`));
});

Deno.test("keptPermissions() keeps nothing for version, help and unknown modes", () => {
  for (const argv of [["version"], ["help"], [], ["--help"], ["bogus"]]) {
    assert.deepEqual(keptPermissions(argv, "linux"), [], argv.join(" "));
  }
});

Deno.test("keptPermissions() keeps every kind for a Linux worker reading /proc and /sys", () => {
  assert.deepEqual(keptPermissions(["worker", "--print", "--once"], "linux"), PERMISSION_KINDS);
  assert.deepEqual(keptPermissions(["worker", "--master", "h"], "linux"), PERMISSION_KINDS);
});

Deno.test("keptPermissions() drops run, ffi and import from a worker that needs no /proc", () => {
  assert.deepEqual(keptPermissions(["worker", "--master", "h"], "darwin"), SERVER);
  const fixtures = ["--proc-root", "tests/fixtures/proc", "--sys-root", "tests/fixtures/sys"];
  assert.deepEqual(keptPermissions(["worker", "--master", "h", ...fixtures], "linux"), SERVER);
});

Deno.test("keptPermissions() also drops the network from a worker that only prints", () => {
  assert.deepEqual(keptPermissions(["worker", "--print"], "windows"), [
    "read",
    "write",
    "env",
    "sys",
  ]);
});

Deno.test("kindsOfFlags() reads the kinds out of deno run permission flags", () => {
  assert.deepEqual(kindsOfFlags(["--allow-all"]), PERMISSION_KINDS);
  assert.deepEqual(kindsOfFlags(["--allow-read=/a,/b", "--allow-net", "--allow-env=GRIDMON_*"]), [
    "read",
    "net",
    "env",
  ]);
  assert.deepEqual(kindsOfFlags(["--deny-net", "--allow-reader"]), []);
});

Deno.test("keptPermissions() keeps every kind when a worker's flags are wrong (it reports them)", () => {
  assert.deepEqual(keptPermissions(["worker", "--bogus"], "linux"), PERMISSION_KINDS);
});

Deno.test("keptPermissions() for the master depends on whether it monitors its own host", () => {
  assert.deepEqual(keptPermissions(["master"], "linux"), PERMISSION_KINDS);
  assert.deepEqual(keptPermissions(["master", "--no-local-worker"], "linux"), SERVER);
  assert.deepEqual(keptPermissions(["master"], "linux", { GRIDMON_NO_LOCAL_WORKER: "1" }), SERVER);
  assert.deepEqual(keptPermissions(["master"], "darwin"), SERVER);
});

Deno.test("keptPermissions() lets install run commands but not use the network", () => {
  for (const argv of [["worker", "install"], ["master", "uninstall", "--dry-run"]]) {
    const kept = keptPermissions(argv, "linux");
    assert.ok(kept.includes("run") && kept.includes("write"), argv.join(" "));
    assert.ok(!kept.includes("net") && !kept.includes("ffi"), argv.join(" "));
  }
});

Deno.test("keptPermissions() gives score files but no network", () => {
  assert.deepEqual(keptPermissions(["score", "--input", "x.csv"], "linux"), [
    "read",
    "write",
    "env",
    "sys",
  ]);
});

async function probe(argv: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...COMPILE_PERMISSION_FLAGS,
      new URL("./fixtures/drop_probe.ts", import.meta.url).pathname,
      ...argv,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout)) as {
    revoked: string[];
    states: Record<string, string>;
    procReadable: boolean;
  };
}

Deno.test("dropPermissions() under the compile flags revokes everything for version", async () => {
  const { revoked, states, procReadable } = await probe(["version"]);
  assert.deepEqual(revoked, [...PERMISSION_KINDS]);
  for (const kind of PERMISSION_KINDS) assert.notEqual(states[kind], "granted", kind);
  assert.equal(procReadable, false);
});

Deno.test("dropPermissions() under the compile flags leaves score without network", async () => {
  const { revoked, states } = await probe(["score", "--input", "x.csv"]);
  assert.deepEqual(revoked, ["net", "run", "ffi", "import"]);
  assert.equal(states.read, "granted");
  assert.notEqual(states.net, "granted");
});

Deno.test({
  name: "dropPermissions() leaves a Linux worker able to read /proc",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { revoked, procReadable } = await probe(["worker", "--print", "--once"]);
    assert.deepEqual(revoked, []);
    assert.equal(procReadable, true);
  },
});
