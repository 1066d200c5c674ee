import assert from "node:assert/strict";
import { documentedCommands, needsHub, planFor } from "./doc_commands.ts";

const MARKDOWN = [
  "The master (`gridmon master`) is the hub; `gridmon worker --print --once` shows a sample.",
  "```sh",
  "deno task master          # or: ./gridmon master",
  "sudo ./gridmon worker install --master 192.168.1.101 --token JOIN_TOKEN",
  "bash scripts/start.sh",
  "deno task bench        # each benchmark; `deno task bench ingest` runs one",
  "```",
  "```",
  "gridmon worker --master 192.168.1.101:7863 --token Jx9...   <- printed output, not a command",
  "```",
  "```json",
  '{"gridmon master": 1}',
  "```",
  "Again: `gridmon worker --print --once`.",
].join("\n");

Deno.test("documented commands: sh blocks, their comments' spans and the prose's, once each", () => {
  assert.deepEqual(
    documentedCommands(MARKDOWN, "X.md").map((c) => [c.line, c.command]),
    [
      [1, "gridmon worker --print --once"],
      [3, "deno task master"],
      [4, "./gridmon worker install --master 192.168.1.101 --token JOIN_TOKEN"],
      [6, "deno task bench"],
      [6, "deno task bench ingest"],
    ],
  );
});

Deno.test("placeholders become the test's master; installs run dry; the suite runs one file", () => {
  const hub = { address: "127.0.0.1:5555", joinToken: "tok-123456" };
  assert.equal(
    planFor("gridmon worker --master 192.168.1.101 --token JOIN_TOKEN", hub).command,
    "gridmon worker --master 127.0.0.1:5555 --token tok-123456",
  );
  assert.equal(
    planFor("deno task worker --master ... --token ...", hub).command,
    "deno task worker --master 127.0.0.1:5555 --token tok-123456",
  );
  assert.equal(
    planFor("./gridmon worker install --master 192.168.1.101 --token JOIN_TOKEN", hub).command,
    "./gridmon worker install --master 127.0.0.1:5555 --token tok-123456 --dry-run --binary ./gridmon",
  );
  assert.equal(planFor("deno task test", hub).command, "deno task test tests/cli/args_test.ts");
  assert.equal(planFor("gridmon master", hub).kind, "serves");
  assert.equal(planFor("gridmon score --input a.csv", hub).kind, "exits");
  assert.equal(needsHub("gridmon worker --master x --token y"), true);
  assert.equal(needsHub("gridmon worker install --master x --token y"), false);
});
