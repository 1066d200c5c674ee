/**
 * Runs `deno task compile` for real. This machine cannot download denort, so DENORT_BIN points at
 * the deno executable itself: deno compile then does everything it does for a release (module
 * graph, embedded files, output, checksums) but the result runs as plain deno, not as gridmon.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";

/** Terminal colour codes (ESC [ ... m). */
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

const REPO = new URL("../../", import.meta.url);
const HOST_TARGET = Deno.build.target === "aarch64-unknown-linux-gnu"
  ? "aarch64-unknown-linux-gnu"
  : "x86_64-unknown-linux-gnu";

async function compileTask(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", ...args],
    cwd: REPO,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { code: output.code, text: text.replace(ANSI_COLOR, "") };
}

Deno.test({
  name:
    "deno task compile with DENORT_BIN builds the target, embeds every mode and writes SHA256SUMS",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const { code, text } = await compileTask(["--target", HOST_TARGET, "--out", out], {
        DENORT_BIN: Deno.execPath(),
      });
      assert.equal(code, 0, text);
      const name = `gridmon-0.1.0-${HOST_TARGET}`;
      const bytes = await Deno.readFile(join(out, name));
      const digest = createHash("sha256").update(bytes).digest("hex");
      assert.equal(await Deno.readTextFile(join(out, "SHA256SUMS")), `${digest}  ${name}\n`);
      const embedded = text.slice(text.indexOf("Embedded Files"));
      for (
        const part of [
          "main.ts",
          "master",
          "worker",
          "service",
          "simulate",
          "static",
          "uplot",
          "hono",
        ]
      ) {
        assert.match(embedded, new RegExp(part), `${part} is embedded`);
      }
      assert.doesNotMatch(embedded, /playwright/, "test-only npm packages stay out");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("deno task compile refuses DENORT_BIN with more than one target", async () => {
  const { code, text } = await compileTask(
    ["--target", "x86_64-apple-darwin", "--target", "aarch64-apple-darwin"],
    { DENORT_BIN: "/nonexistent/denort" },
  );
  assert.equal(code, 2);
  assert.match(text, /DENORT_BIN is the runtime of one target; pass exactly one --target/);
});

Deno.test("deno task compile rejects an unknown target and builds nothing", async () => {
  const { code, text } = await compileTask(["--target", "sparc-sun-solaris", "--dry-run"]);
  assert.equal(code, 2);
  assert.match(text, /Unknown target "sparc-sun-solaris"/);
});

Deno.test("deno task compile --dry-run prints the deno compile command of every target", async () => {
  const { code, text } = await compileTask(["--dry-run"]);
  assert.equal(code, 0, text);
  const commands = text.split("\n").filter((line) => line.startsWith("$ deno compile "));
  assert.equal(commands.length, 5);
  assert.ok(commands.every((line) => line.endsWith(" main.ts")));
});
