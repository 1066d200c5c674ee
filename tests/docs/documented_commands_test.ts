/**
 * Every command README.md and docs/*.md tell people to run works as written (see doc_commands.ts
 * for what counts and for the few adaptations). They run in a copy of this checkout, so tasks
 * that write ./data or dist/ touch nothing here, with `gridmon` and `./gridmon` being main.ts run
 * with the release binary's permissions. The master the docs start (`deno task master`) is the
 * one the documented workers and simulations connect to.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { COMPILE_PERMISSION_FLAGS } from "../../src/cli/permissions.ts";
import { spawnInGroup } from "../helpers/process_group.ts";
import {
  type DocCommand,
  documentedCommands,
  type Hub,
  HUB_COMMAND,
  needsHub,
  planFor,
  type RunPlan,
} from "./doc_commands.ts";

const REPO = new URL("../../", import.meta.url).pathname;
/** How long a serving command keeps running after it said it is ready, before SIGINT. */
const SERVE_MS = 3000;
const TIMEOUT_MS = 240_000;

async function allDocumentedCommands(): Promise<DocCommand[]> {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(join(REPO, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  const seen = new Set<string>();
  const commands: DocCommand[] = [];
  for (const file of files.sort()) {
    for (const found of documentedCommands(await Deno.readTextFile(join(REPO, file)), file)) {
      if (!seen.has(found.command)) commands.push(found);
      seen.add(found.command);
    }
  }
  return commands;
}

/** Copies the checkout (tracked and new files, not ignored ones) and adds the `gridmon` wrapper. */
async function copyCheckout(to: string): Promise<{ binDir: string }> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: REPO,
    stdout: "piped",
  }).output();
  const files = new TextDecoder().decode(listed.stdout).split("\0").filter(Boolean);
  for (const file of files) {
    try {
      await Deno.mkdir(dirname(join(to, file)), { recursive: true });
      await Deno.copyFile(join(REPO, file), join(to, file));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // deleted, not yet committed
    }
  }
  const wrapper = `#!/bin/sh\nexec "${Deno.execPath()}" run ${
    COMPILE_PERMISSION_FLAGS.join(" ")
  } "${to}/main.ts" "$@"\n`;
  const binDir = join(to, ".test-bin");
  await Deno.mkdir(binDir);
  for (const path of [join(binDir, "gridmon"), join(to, "gridmon")]) {
    await Deno.writeTextFile(path, wrapper, { mode: 0o755 });
  }
  return { binDir };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Context {
  cwd: string;
  binDir: string;
  scratch: string;
}

async function baseEnv(ctx: Context, extra: Record<string, string> = {}) {
  return {
    PATH: `${ctx.binDir}:${Deno.env.get("PATH")}`,
    HOME: Deno.env.get("HOME") ?? ctx.scratch,
    NO_COLOR: "1",
    // Each command gets a port and a data directory of its own unless it names them.
    GRIDMON_PORT: String(freePort()),
    GRIDMON_DATA: await Deno.makeTempDir({ dir: ctx.scratch, prefix: "data_" }),
    ...extra,
  };
}

function describe(doc: DocCommand, plan: RunPlan): string {
  return `${doc.file}:${doc.line}: ${doc.command}${
    plan.command === doc.command ? "" : ` (run as: ${plan.command})`
  }`;
}

async function runToEnd(ctx: Context, doc: DocCommand, plan: RunPlan): Promise<void> {
  const child = new Deno.Command("bash", {
    args: ["-c", plan.command],
    cwd: plan.kind === "exits" && plan.inRepo ? REPO : ctx.cwd,
    env: await baseEnv(ctx, plan.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const output = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${describe(doc, plan)} failed with ${output.code}:\n${text}`);
}

/** A command that runs until stopped, started in its own process group like a terminal's. */
async function startServing(
  ctx: Context,
  doc: DocCommand,
  plan: Extract<RunPlan, { kind: "serves" }>,
  env: Record<string, string> = {},
) {
  const running = spawnInGroup(["bash", "-c", `exec ${plan.command}`], {
    cwd: ctx.cwd,
    env: await baseEnv(ctx, { ...plan.env, ...env }),
    clearEnv: true,
  });
  try {
    await running.waitFor(plan.ready, TIMEOUT_MS);
  } catch (error) {
    await running.kill();
    assert.fail(`${describe(doc, plan)} never became ready: ${(error as Error).message}`);
  }
  return {
    output: running.output,
    /** Ctrl-C: SIGINT to the process group; it must stop by itself, with exit code 0. */
    async stop(): Promise<void> {
      const output = running.output;
      assert.equal(
        running.exited(),
        false,
        `${describe(doc, plan)} exited by itself:\n${output()}`,
      );
      running.signal("SIGINT");
      const timer = setTimeout(() => running.kill(), 30_000);
      const { code } = await running.done;
      clearTimeout(timer);
      assert.equal(code, 0, `${describe(doc, plan)} exited with ${code} on SIGINT:\n${output()}`);
      assert.match(
        output(),
        plan.stopped,
        `${describe(doc, plan)} did not stop cleanly:\n${output()}`,
      );
    },
  };
}

async function runServing(ctx: Context, doc: DocCommand, plan: RunPlan): Promise<void> {
  const started = Date.now();
  if (plan.kind !== "serves") {
    await runToEnd(ctx, doc, plan);
  } else {
    const running = await startServing(ctx, doc, plan);
    await new Promise((r) => setTimeout(r, SERVE_MS));
    await running.stop();
  }
  console.log(`${((Date.now() - started) / 1000).toFixed(1)} s  ${doc.command}`);
}

/** Runs `jobs` with at most `limit` at a time; rejects with every failure. */
async function pool(limit: number, jobs: (() => Promise<void>)[]): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await job().catch((error) => failures.push(String(error?.message ?? error)));
    }
  }));
  assert.equal(failures.length, 0, failures.join("\n\n"));
}

Deno.test({
  name: "every gridmon and deno task command in README.md and docs/*.md runs without an error",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const commands = await allDocumentedCommands();
    const hubDoc = commands.find((c) => c.command === HUB_COMMAND);
    assert.ok(hubDoc, `the docs no longer start a master with "${HUB_COMMAND}"`);
    const scratch = await Deno.makeTempDir({ prefix: "gridmon_doc_commands_" });
    const cwd = join(scratch, "checkout");
    try {
      const { binDir } = await copyCheckout(cwd);
      const ctx: Context = { cwd, binDir, scratch };
      // What the documented commands read from the current directory.
      await Deno.copyFile(
        join(REPO, "tests/fixtures/detect/two_metrics.csv"),
        join(cwd, "metrics.csv"),
      );
      await Deno.copyFile(join(REPO, "examples/alerts.yaml"), join(cwd, "alerts.yaml"));
      const placeholder: Hub = { address: "127.0.0.1:1", joinToken: "placeholder-join-token" };

      // Commands that need no master, a few at a time; the hub starts after them, since
      // `deno task start` uses the same ./data as `deno task master`.
      const alone = commands.filter((c) => c !== hubDoc && !needsHub(c.command));
      await pool(
        2,
        alone.map((doc) => () => runServing(ctx, doc, planFor(doc.command, placeholder))),
      );

      const hubPlan = planFor(HUB_COMMAND, placeholder);
      assert.equal(hubPlan.kind, "serves");
      // No local worker: the documented workers run on this same machine, with its machine id.
      const hub = await startServing(ctx, hubDoc, hubPlan as Extract<RunPlan, { kind: "serves" }>, {
        GRIDMON_NO_LOCAL_WORKER: "1",
      });
      const port = /listening on [^\s]+:(\d+)/.exec(hub.output())![1];
      const joinToken = (await Deno.readTextFile(join(cwd, "data/token"))).trim();
      const target: Hub = { address: `127.0.0.1:${port}`, joinToken };
      // One at a time: every documented worker is this machine.
      for (const doc of commands.filter((c) => needsHub(c.command))) {
        await runServing(ctx, doc, planFor(doc.command, target));
      }
      await hub.stop();
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});
