/**
 * The compiled binary cannot be built here (no denort), so these tests run its entry point,
 * main.ts, under `deno run` with exactly the permission flags `deno task compile` bakes in; each
 * mode then drops what it does not need, as it does in the binary.
 */
import assert from "node:assert/strict";
import { COMPILE_PERMISSION_FLAGS } from "../../src/cli/permissions.ts";
import { GRIDMON_VERSION } from "../../src/version.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** A bound on waiting for a process to get ready, so a broken build fails instead of hanging. */
const READY_DEADLINE_MS = 60_000;

function gridmon(args: string[], piped = true, extraFlags: string[] = []): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSION_FLAGS, ...extraFlags, MAIN, ...args],
    stdin: "null",
    stdout: piped ? "piped" : "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function runGridmon(args: string[]) {
  const output = await gridmon(args).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("gridmon version prints the release and runtime under the compile flags", async () => {
  const { code, stdout, stderr } = await runGridmon(["version"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`^gridmon ${GRIDMON_VERSION} \\(deno \\d+\\.\\d+\\.\\d+, `));
});

Deno.test("gridmon help lists every mode under the compile flags", async () => {
  const { code, stdout, stderr } = await runGridmon(["help"]);
  assert.equal(code, 0, stderr);
  for (const mode of ["master", "worker", "simulate", "score", "version"]) {
    assert.match(stdout, new RegExp(`gridmon ${mode}`));
  }
});

Deno.test("gridmon worker --print --once prints one sample under the compile flags", async () => {
  const spool = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await runGridmon([
      "worker",
      "--print",
      "--once",
      "--spool",
      spool,
    ]);
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const sample = JSON.parse(lines[0]);
    assert.equal(typeof sample.ts, "number");
    assert.equal(typeof sample.hostname, "string");
    assert.ok(sample.cpu.usage >= 0 && sample.cpu.usage <= 100, JSON.stringify(sample.cpu));
    assert.ok(sample.mem.total > 0, JSON.stringify(sample.mem));
  } finally {
    await Deno.remove(spool, { recursive: true });
  }
});

/** Reads `child`'s stdout until a line matches `pattern`; the rest is drained in the background. */
async function waitForLine(child: Deno.ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => reader.cancel(), READY_DEADLINE_MS);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`no line matching ${pattern} in:\n${seen}`);
      seen += value;
      const match = seen.match(pattern);
      if (match) {
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return match;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

async function stop(child: Deno.ChildProcess): Promise<string> {
  const stderr = new Response(child.stderr).text();
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await child.status;
  return await stderr;
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The dashboard page and every asset it links answer 200 with a body. */
async function assertUiLoads(base: string): Promise<void> {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.some((path) => path.endsWith("app.js")), html);
  assert.ok(assets.some((path) => path.endsWith("gen/vendor.js")), html);
  for (const path of assets) {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, path);
    assert.ok((await response.text()).length > 0, path);
  }
}

Deno.test({
  name: "the master serves the UI with static/ unreadable: the assets come from the module graph",
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir();
    const staticDir = new URL("../../static", import.meta.url).pathname;
    const master = gridmon(
      ["master", "--port", "0", "--bind", "127.0.0.1", "--data", data, "--no-local-worker"]
        .concat(["--public-ui"]),
      true,
      [`--deny-read=${staticDir}`],
    );
    try {
      const [, base] = await waitForLine(master, /Dashboard: (http:\/\/[^/\s]+)\//);
      await assertUiLoads(base);
    } finally {
      await stop(master);
      await Deno.remove(data, { recursive: true });
    }
  },
});

Deno.test({
  name: "under the compile flags a worker streams to a master, which serves /healthz and the UI",
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir();
    const spool = await Deno.makeTempDir();
    const token = "e2e-join-token-0123456789";
    const master = gridmon([
      "master",
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
      "--data",
      data,
      "--token",
      token,
      "--no-local-worker",
      "--public-ui",
    ]);
    let worker: Deno.ChildProcess | undefined;
    try {
      const [, base] = await waitForLine(master, /Dashboard: (http:\/\/[^/\s]+)\//);
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(typeof (await health.json()), "object");

      await assertUiLoads(base);

      const port = new URL(base).port;
      worker = gridmon(
        [
          "worker",
          "--master",
          `127.0.0.1:${port}`,
          "--token",
          token,
          "--name",
          "e2e-worker",
          "--interval",
          "250ms",
          "--spool",
          spool,
        ],
        false,
      );
      const machine = await poll("the worker's samples on the master", async () => {
        const machines = await (await fetch(`${base}/api/machines`)).json() as {
          name: string;
          online: boolean;
          latest?: { cpu?: { usage?: number | null } };
        }[];
        // The first sample's rates are null (nothing to compare with yet); wait for a measured one.
        return machines.find((m) =>
          m.name === "e2e-worker" && m.online && typeof m.latest?.cpu?.usage === "number"
        );
      });
      assert.ok(machine.latest!.cpu!.usage! >= 0 && machine.latest!.cpu!.usage! <= 100);
    } finally {
      if (worker) await stop(worker);
      const log = await stop(master);
      assert.doesNotMatch(log, new RegExp(token), "the join token is not logged");
      await Deno.remove(data, { recursive: true });
      await Deno.remove(spool, { recursive: true });
    }
  },
});
