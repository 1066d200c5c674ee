import assert from "node:assert/strict";
import { startFakeMaster } from "../helpers/fake_master.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function gridmon(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "simulate", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("gridmon simulate exits 2 with one line on a bad fault spec", async () => {
  const result = await gridmon([
    "--master=127.0.0.1:9",
    "--token=abcdefgh",
    "--workers=2",
    "--faults=boom@1s+1s:1",
  ]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim().split("\n").length, 1);
  assert.match(result.stderr, /^gridmon: --faults: unknown fault kind "boom"/);
});

Deno.test("gridmon simulate streams a finished span to a master and exits 0", async () => {
  const master = startFakeMaster({ token: "cli-token-1" });
  const dir = await Deno.makeTempDir();
  try {
    const result = await gridmon([
      `--master=${master.url}`,
      "--token=cli-token-1",
      "--workers=4",
      "--start=now-5m",
      "--duration=2m",
      "--faults=random:2",
      `--faults-out=${dir}/faults.json`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /simulate: done, 0\/4 connected, 480 samples acknowledged/);
    assert.doesNotMatch(result.stdout + result.stderr, /cli-token-1/);
    assert.equal(master.machines.size, 4);
    const faults = JSON.parse(await Deno.readTextFile(`${dir}/faults.json`));
    assert.equal(faults.length, 2);
  } finally {
    await master.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gridmon simulate stops cleanly on SIGTERM and reports what was acknowledged", async () => {
  const master = startFakeMaster({ token: "cli-token-2" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        MAIN,
        "simulate",
        `--master=${master.url}`,
        "--token=cli-token-2",
        "--workers=3",
        "--interval=100ms",
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const samples = () => [...master.machines.values()].reduce((n, m) => n + m.samples.size, 0);
    while (samples() < 9) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGTERM");
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.match(stdout, /simulate: done, 0\/3 connected, \d+ samples acknowledged/);
  } finally {
    await master.close();
  }
});
