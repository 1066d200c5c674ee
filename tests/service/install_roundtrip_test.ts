/**
 * `gridmon worker|master install|uninstall` for real, through main.ts under the compile flags,
 * in a temporary root: what it writes, and that uninstalling leaves the tree as it was.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { COMPILE_PERMISSION_FLAGS } from "../../src/cli/permissions.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const TOKEN = "join-token-9f8e7d6c5b4a";

async function gridmon(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSION_FLAGS, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const result = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  return result;
}

async function ok(args: string[]) {
  const result = await gridmon(args);
  assert.equal(result.code, 0, `gridmon ${args.join(" ")}:\n${result.stderr}`);
  return result;
}

/** Every entry under `root`: its kind, permission bits and content hash. */
async function snapshot(root: string, dir = root): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const info = await Deno.lstat(path);
    const mode = (info.mode ?? 0) & 0o7777;
    if (entry.isDirectory) {
      entries.set(relative(root, path), `dir ${mode.toString(8)}`);
      for (const [k, v] of await snapshot(root, path)) entries.set(k, v);
    } else {
      const hash = createHash("sha256").update(await Deno.readFile(path)).digest("hex");
      entries.set(relative(root, path), `file ${mode.toString(8)} ${hash}`);
    }
  }
  return entries;
}

interface SystemRoot {
  root: string;
  /** A stand-in gridmon binary outside the root. */
  binary: string;
  /** The root's snapshot before the test touched it. */
  before: Map<string, string>;
}

/**
 * Runs `test` in a root that looks like a system before gridmon (a few standard directories
 * and files), then removes it.
 */
async function withSystemRoot(test: (system: SystemRoot) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  for (
    const dir of [
      "etc/systemd/system",
      "usr/local/lib",
      "Library/LaunchDaemons",
      "C/Program Files",
      "C/ProgramData",
    ]
  ) {
    await Deno.mkdir(join(root, dir), { recursive: true });
  }
  await Deno.writeTextFile(join(root, "etc/systemd/system/sshd.service"), "[Service]\n");
  const outside = await Deno.makeTempDir();
  const binary = join(outside, "gridmon-0.1.0-x86_64-unknown-linux-gnu");
  await Deno.writeTextFile(binary, "#!/bin/sh\necho gridmon\n", { mode: 0o755 });
  try {
    await test({ root, binary, before: await snapshot(root) });
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
}

/** `gridmon worker install --master h --token TOKEN --binary BINARY --platform P --root ROOT ...more`. */
function workerInstall(system: SystemRoot, platform: string, ...more: string[]): string[] {
  return [
    "worker",
    "install",
    "--master",
    "h",
    "--token",
    TOKEN,
    "--binary",
    system.binary,
    "--platform",
    platform,
    "--root",
    system.root,
    ...more,
  ];
}

function mode(entries: Map<string, string>, path: string): string | undefined {
  return entries.get(path)?.split(" ").slice(0, 2).join(" ");
}

Deno.test("linux: worker and master install, then uninstall, leave the root as it was", async () => {
  await withSystemRoot(async ({ root, binary, before }) => {
    const common = ["--platform", "linux", "--root", root, "--binary", binary];
    const installed = await ok([
      "worker",
      "install",
      "--master",
      "10.0.0.5",
      "--token",
      TOKEN,
      ...common,
    ]);
    assert.match(installed.stderr, /skipped \(--root\): systemctl daemon-reload/);
    await ok(["master", "install", "--port", "8080", ...common]);

    const during = await snapshot(root);
    assert.equal(mode(during, "usr/local/lib/gridmon/gridmon"), "file 755");
    assert.equal(mode(during, "etc/gridmon/worker.env"), "file 600");
    assert.equal(mode(during, "etc/systemd/system/gridmon-worker.service"), "file 644");
    assert.ok(during.has("etc/systemd/system/gridmon-master.service"));
    assert.ok(!during.has("etc/gridmon/master.env"), "no token given: the master makes its own");
    const env = await Deno.readTextFile(join(root, "etc/gridmon/worker.env"));
    assert.match(env, new RegExp(`^GRIDMON_TOKEN=${TOKEN}$`, "m"));
    const unit = await Deno.readTextFile(join(root, "etc/systemd/system/gridmon-worker.service"));
    assert.ok(!unit.includes(TOKEN), "the token is not in the unit");
    assert.match(
      unit,
      /^ExecStart=\/usr\/local\/lib\/gridmon\/gridmon worker --master ws:\/\/10\.0\.0\.5:7863\/ws\/worker /m,
    );
    assert.deepEqual(
      await Deno.readFile(join(root, "usr/local/lib/gridmon/gridmon")),
      await Deno.readFile(binary),
    );

    const uninstall = ["--platform", "linux", "--root", root];
    await ok(["worker", "uninstall", ...uninstall]);
    assert.ok(
      (await snapshot(root)).has("usr/local/lib/gridmon/gridmon"),
      "the binary stays while the master service uses it",
    );
    await ok(["master", "uninstall", ...uninstall]);
    assert.deepEqual(await snapshot(root), before);
  });
});

Deno.test("linux: installing twice (a reinstall or an upgrade) and uninstalling once restores the root", async () => {
  await withSystemRoot(async ({ root, binary, before }) => {
    const args = ["--platform", "linux", "--root", root, "--binary", binary, "--master", "h"];
    await ok(["worker", "install", "--token", TOKEN, ...args]);
    await ok(["worker", "install", "--token", `${TOKEN}-new`, ...args]);
    const env = await Deno.readTextFile(join(root, "etc/gridmon/worker.env"));
    assert.match(env, new RegExp(`^GRIDMON_TOKEN=${TOKEN}-new$`, "m"));
    await ok(["worker", "uninstall", "--platform", "linux", "--root", root]);
    assert.deepEqual(await snapshot(root), before);
  });
});

for (const platform of ["darwin", "windows"]) {
  Deno.test(`${platform}: worker install, then uninstall, leaves the root as it was`, async () => {
    await withSystemRoot(async (system) => {
      await ok(workerInstall(system, platform));
      const during = await snapshot(system.root);
      assert.ok(during.size > system.before.size);
      await ok(["worker", "uninstall", "--platform", platform, "--root", system.root]);
      assert.deepEqual(await snapshot(system.root), system.before);
    });
  });
}

Deno.test("windows: the task definition is written as UTF-16LE, the token into its own file", async () => {
  await withSystemRoot(async (system) => {
    const { root } = system;
    await ok(workerInstall(system, "windows"));
    const bytes = await Deno.readFile(join(root, "C/ProgramData/gridmon/gridmon-worker.xml"));
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
    const xml = new TextDecoder("utf-16le").decode(bytes.subarray(2));
    assert.match(xml, /<BootTrigger>/);
    assert.ok(!xml.includes(TOKEN));
    const tokenFile = await Deno.readTextFile(join(root, "C/ProgramData/gridmon/worker.token"));
    assert.equal(tokenFile, `${TOKEN}\r\n`);
    assert.ok((await Deno.stat(join(root, "C/Program Files/gridmon/gridmon.exe"))).isFile);
  });
});

for (const platform of ["linux", "darwin", "windows"]) {
  Deno.test(`${platform}: --dry-run writes nothing and masks the token`, async () => {
    await withSystemRoot(async (system) => {
      const { stdout, stderr } = await ok(workerInstall(system, platform, "--dry-run"));
      assert.match(stdout, /nothing is written or run/);
      assert.match(stdout, /\*{8}/);
      assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), "the token is masked");
      assert.deepEqual(await snapshot(system.root), system.before);
    });
  });
}

Deno.test("install reports bad flags as a usage error (exit 2) and writes nothing", async () => {
  await withSystemRoot(async ({ root, binary, before }) => {
    const result = await gridmon([
      "worker",
      "install",
      "--master",
      "h",
      "--binary",
      binary,
      "--root",
      root,
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--token is required/);
    const missing = await gridmon([
      "worker",
      "install",
      "--master",
      "h",
      "--token",
      TOKEN,
      "--binary",
      join(root, "nope"),
      "--root",
      root,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--binary: .*nope not found/);
    assert.deepEqual(await snapshot(root), before);
  });
});

Deno.test("install run by deno (not the compiled binary) without --binary says what to do", async () => {
  const result = await gridmon([
    "worker",
    "install",
    "--master",
    "h",
    "--token",
    TOKEN,
    "--dry-run",
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /run it from the gridmon binary .* or pass --binary PATH/);
});
