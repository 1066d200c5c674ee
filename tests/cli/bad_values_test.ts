/**
 * Values that only fail when used (a directory that cannot be made, an address that cannot be
 * bound) still follow the usage-error rule: one line naming the flag, exit code 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { COMPILE_PERMISSION_FLAGS } from "../../src/cli/permissions.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function gridmon(args: string[]): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSION_FLAGS, MAIN, ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

function assertUsageLine(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], pattern);
}

Deno.test("bad directories and listen addresses are usage errors that name the flag", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_bad_values_" });
  try {
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "");
    const master = ["master", "--port", "0", "--no-local-worker"];
    // A data directory each: masters that get as far as opening the database must not share one.
    const data = (name: string) => join(dir, name);
    const cases: [string[], RegExp][] = [
      [
        [...master, "--data", "/proc/nope"],
        /^gridmon: --data: cannot create directory "\/proc\/nope": /,
      ],
      [[...master, "--data", file], /^gridmon: --data: cannot create directory ".*a-file": /],
      [
        [...master, "--data", data("a"), "--bind", "999.1.1.1"],
        /^gridmon: --bind: "999\.1\.1\.1" is not/,
      ],
      // TEST-NET-1: never an address of this machine.
      [
        [...master, "--data", data("b"), "--bind", "192.0.2.1"],
        /^gridmon: --bind: cannot listen on "192\.0\.2\.1"/,
      ],
      [
        [...master, "--data", data("c"), "--bind", "no-such-host.invalid"],
        /^gridmon: --bind: cannot listen/,
      ],
      [
        ["worker", "--master", "127.0.0.1:1", "--token", "abcdefgh", "--spool", "/proc/nope"],
        /^gridmon: --spool: cannot create directory "\/proc\/nope": /,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => gridmon(args)));
    results.forEach((result, i) => assertUsageLine(result, cases[i][1]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
