import assert from "node:assert/strict";
import { parseSimulateArgs } from "../../src/cli/simulate_args.ts";
import { runSimulation } from "../../src/simulate/main.ts";
import { spawnMaster } from "./master_process.ts";

const TOKEN = "e2e-simulate-token";

Deno.test("simulate: 20 workers stream to the real master, which lists 20 machines with data", async () => {
  const dataDir = await Deno.makeTempDir();
  const master = await spawnMaster({ token: TOKEN, dataDir, args: ["--public-ui"] });
  try {
    const now = Date.now();
    const config = parseSimulateArgs(
      [
        "--master",
        master.wsUrl,
        "--token",
        TOKEN,
        "--workers",
        "20",
        "--start",
        String(now - 60_000),
        "--duration",
        "63s", // back-fill a minute, then a few seconds live
        "--faults",
        "cpu@20s+20s:sim-0004",
      ],
      {},
      now,
    );
    const stats = await runSimulation(config, { log: () => {}, progressMs: 0 });
    assert.equal(stats.acked, 20 * 63);

    const response = await fetch(`${master.httpUrl}/api/machines`);
    assert.equal(response.status, 200);
    const machines = await response.json() as {
      id: string;
      name: string;
      latest?: { cpu?: { usage: number } };
    }[];
    const simulated = machines.filter((m) => /^sim-\d{4}$/.test(m.name));
    assert.equal(simulated.length, 20);
    assert.ok(simulated.every((m) => typeof m.latest?.cpu?.usage === "number"));

    const faulty = simulated.find((m) => m.name === "sim-0004")!;
    const fault = config.faults[0];
    const series = await fetch(
      `${master.httpUrl}/api/machines/${faulty.id}/series?from=${fault.start}&to=${
        fault.end - 1
      }&points=1000`,
    );
    assert.equal(series.status, 200);
    const result = await series.json() as { t: number[]; min: Record<string, (number | null)[]> };
    const lows = result.min["cpu.usage"].filter((v): v is number => v !== null);
    assert.equal(lows.length, 20, "one bucket per second of the fault");
    assert.ok(lows.every((v) => v >= 97), `cpu during the fault: ${lows}`);
  } finally {
    await master.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("simulate: the real master refuses a wrong token and the simulator says so", async () => {
  const dataDir = await Deno.makeTempDir();
  const master = await spawnMaster({ token: TOKEN, dataDir });
  try {
    const config = parseSimulateArgs(
      ["--master", master.wsUrl, "--token", "not-the-token", "--workers", "3", "--duration", "5s"],
      {},
    );
    await assert.rejects(
      runSimulation(config, { log: () => {}, progressMs: 0 }),
      /the master refused the join token \(close 4001/,
    );
  } finally {
    await master.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
