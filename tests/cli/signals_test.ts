/**
 * untilSignal: the stop signal twice in a row (a terminal's Ctrl-C reaching both `deno task` and
 * the master, which `deno task` then forwards) must not kill the process during its shutdown.
 */
import assert from "node:assert/strict";

const SIGNALS = new URL("../../src/cli/signals.ts", import.meta.url).href;

function spawnStopper(shutdownMs: number) {
  const script = `
    import { untilSignal } from "${SIGNALS}";
    const stop = untilSignal();
    console.log("ready");
    const signal = await stop;
    console.log("stopping on " + signal);
    await new Promise((r) => setTimeout(r, ${shutdownMs})); // a shutdown that takes a while
    console.log("stopped");`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  child.stderr.cancel();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const waitFor = async (text: string) => {
    while (!out.includes(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`ended before printing "${text}": ${out}`);
      out += value;
    }
  };
  return { child, waitFor, output: () => out };
}

Deno.test("a repeated SIGINT during shutdown is ignored; the shutdown finishes", async () => {
  const { child, waitFor, output } = spawnStopper(700);
  await waitFor("ready");
  child.kill("SIGINT");
  await waitFor("stopping on SIGINT");
  child.kill("SIGINT");
  await waitFor("stopped");
  const status = await child.status;
  assert.match(output(), /stopped\n/);
  assert.equal(status.code, 0);
});

Deno.test("SIGINT again seconds into a hanging shutdown exits at once with 130", async () => {
  const { child, waitFor, output } = spawnStopper(60_000);
  await waitFor("ready");
  child.kill("SIGINT");
  await waitFor("stopping on SIGINT");
  await new Promise((r) => setTimeout(r, 2500));
  child.kill("SIGINT");
  const status = await child.status;
  assert.equal(status.code, 130);
  assert.doesNotMatch(output(), /stopped/);
});
