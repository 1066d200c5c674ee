import assert from "node:assert/strict";
import { parse } from "yaml";
import { DENO_VERSION } from "../../scripts/compile.ts";

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { "runs-on": string; steps: { run?: string; uses?: string }[] }>;
}

async function workflow(name: string): Promise<{ text: string; parsed: Workflow }> {
  const text = await Deno.readTextFile(new URL(`../../.github/workflows/${name}`, import.meta.url));
  return { text, parsed: parse(text) as Workflow };
}

function runs(parsed: Workflow): string[] {
  return Object.values(parsed.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ""));
}

function uses(parsed: Workflow): string[] {
  return Object.values(parsed.jobs).flatMap((job) => job.steps.flatMap((s) => s.uses ?? []));
}

Deno.test("ci.yml parses and runs .ci/run on pushes and pull requests", async () => {
  const { parsed } = await workflow("ci.yml");
  assert.ok("push" in parsed.on && "pull_request" in parsed.on);
  assert.ok(runs(parsed).some((run) => run.trim() === "bash .ci/run"));
});

Deno.test("release.yml parses, builds with deno task compile on v* tags and publishes checksums", async () => {
  const { parsed } = await workflow("release.yml");
  assert.deepEqual((parsed.on.push as { tags: string[] }).tags, ["v*"]);
  const script = runs(parsed).join("\n");
  assert.match(script, new RegExp(`npm install -g deno@${DENO_VERSION.replaceAll(".", "\\.")}`));
  assert.match(script, /^deno task compile$/m);
  assert.match(script, /sha256sum -c SHA256SUMS/);
  assert.match(script, /gh release create .* dist\/gridmon-\* dist\/SHA256SUMS/);
});

Deno.test("every action the workflows use is pinned to a version", async () => {
  for (const name of ["ci.yml", "release.yml"]) {
    for (const action of uses((await workflow(name)).parsed)) {
      assert.match(action, /^[\w-]+\/[\w-]+@v\d+(\.\d+)*$/, `${name}: ${action}`);
    }
  }
});

Deno.test("setup.sh installs the Deno version the binaries are built with", async () => {
  const setup = await Deno.readTextFile(new URL("../../scripts/setup.sh", import.meta.url));
  assert.match(setup, new RegExp(`^DENO_VERSION=${DENO_VERSION.replaceAll(".", "\\.")}$`, "m"));
});
