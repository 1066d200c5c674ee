import assert from "node:assert/strict";
import { join } from "node:path";
import {
  artifactName,
  compileArgs,
  explainFailure,
  EXPORT_WORKER_MODULE,
  parseTarget,
  sha256Sums,
  TARGETS,
} from "../../scripts/compile.ts";
import { COMPILE_PERMISSION_FLAGS } from "../../src/cli/permissions.ts";
import { masterV8FlagsArg } from "../../src/master/permissions.ts";

Deno.test("compileArgs() builds main.ts for each target with the compile permission flags", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target, "1.2.3");
    const exe = target === "x86_64-pc-windows-msvc" ? ".exe" : "";
    assert.equal(args[0], "compile");
    assert.equal(args.at(-1), "main.ts");
    assert.equal(args[args.indexOf("--target") + 1], target);
    assert.equal(args[args.indexOf("--output") + 1], `dist/gridmon-1.2.3-${target}${exe}`);
    const permissionFlags = args.filter((arg) => /^--(allow|deny)-/.test(arg));
    assert.deepEqual(permissionFlags, [...COMPILE_PERMISSION_FLAGS]);
    assert.ok(args.includes("--no-check"));
    assert.ok(args.includes("--exclude-unused-npm"));
    // Modes and UI assets are in the module graph; only the export thread's entry is not.
    assert.deepEqual(args.filter((_, i) => args[i - 1] === "--include"), [EXPORT_WORKER_MODULE]);
    assert.equal(args.filter((a) => a === "--include").length, 1);
    assert.ok(args.includes(masterV8FlagsArg()), "the master's memory cap is baked in");
  }
});

Deno.test("the export thread's module that compileArgs() includes exists", async () => {
  assert.equal(EXPORT_WORKER_MODULE, "src/master/export/export_worker.ts");
  const root = new URL("../../", import.meta.url);
  assert.ok((await Deno.stat(new URL(EXPORT_WORKER_MODULE, root))).isFile);
});

Deno.test("compileArgs() writes into the given output directory", () => {
  const args = compileArgs("aarch64-apple-darwin", "0.1.0", "/tmp/out");
  assert.equal(args[args.indexOf("--output") + 1], "/tmp/out/gridmon-0.1.0-aarch64-apple-darwin");
});

Deno.test("TARGETS are the five release platforms, each with a distinct artifact", () => {
  assert.deepEqual([...TARGETS].sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
  assert.equal(new Set(TARGETS.map((t) => artifactName("0.1.0", t))).size, 5);
});

Deno.test("parseTarget() rejects an unknown target naming the supported ones", () => {
  assert.equal(parseTarget("x86_64-apple-darwin"), "x86_64-apple-darwin");
  assert.throws(
    () => parseTarget("riscv64-unknown-linux-gnu"),
    (error) => error instanceof RangeError && /x86_64-unknown-linux-gnu/.test(error.message),
  );
});

Deno.test("sha256Sums() writes sha256sum lines sorted by file name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "b"), "abc");
    await Deno.writeTextFile(join(dir, "a"), "");
    const sums = await sha256Sums([join(dir, "b"), join(dir, "a")]);
    assert.equal(
      sums,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n" +
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("explainFailure() points at DENORT_BIN when the runtime cannot be downloaded", () => {
  const stderr = "error: Writing deno compile executable\n  0: Setting up base binary.\n" +
    "  1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x.zip)";
  const text = explainFailure("x86_64-apple-darwin", stderr);
  assert.match(text, /could not download its runtime/);
  assert.match(text, /DENORT_BIN=.* deno task compile --target x86_64-apple-darwin/);
  const other = explainFailure("x86_64-apple-darwin", "error: Module not found");
  assert.doesNotMatch(other, /download/);
  const withBin = explainFailure("x86_64-apple-darwin", stderr, "/opt/denort");
  assert.match(withBin, /DENORT_BIN=\/opt\/denort: it must be the denort of Deno/);
});
