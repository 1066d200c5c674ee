import assert from "node:assert/strict";
import { parseSimulateArgs } from "../../src/cli/simulate_args.ts";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { startFleet } from "../../src/simulate/fleet.ts";
import { createMachineModel } from "../../src/simulate/machine_model.ts";
import { runSimulation } from "../../src/simulate/main.ts";
import { type FakeMaster, startFakeMaster } from "../helpers/fake_master.ts";

const TOKEN = "test-token-123";

function models(n: number, seed = "7") {
  return Array.from({ length: n }, (_, i) => createMachineModel(seed, i));
}

function assertComplete(master: FakeMaster, machines: number, perMachine: number): void {
  assert.deepEqual(master.invalid, []);
  assert.equal(master.machines.size, machines);
  for (const [id, m] of master.machines) {
    assert.equal(m.samples.size, perMachine, `machine ${m.hello.hostname}`);
    assert.equal(m.lastSeq, perMachine - 1);
    for (const [seq, s] of m.samples) {
      assert.equal(s.seq, seq);
      assert.equal(s.machineId, id);
    }
  }
}

Deno.test("a fleet back-fills every sample of its span, in order, once, per machine", async () => {
  const master = startFakeMaster({ token: TOKEN });
  try {
    const now = Date.now();
    const fleet = startFleet({
      url: master.url,
      token: TOKEN,
      models: models(20),
      intervalMs: 1000,
      startMs: now - 300_000,
      endMs: now - 60_000,
      speed: Infinity,
    });
    await fleet.done;
    assertComplete(master, 20, 240);
    assert.equal(fleet.stats.acked, 20 * 240);
    assert.equal(fleet.unacked(), 0);
    for (const m of master.machines.values()) {
      assert.equal(m.duplicates, 0);
      const ts = [...m.samples.values()].map((s) => s.ts);
      for (let i = 1; i < ts.length; i++) assert.equal(ts[i] - ts[i - 1], 1000);
      assert.ok(SampleSchema.safeParse(m.samples.get(17)).success);
    }
  } finally {
    await master.close();
  }
});

Deno.test("a fleet replays what was not acknowledged when the master cuts connections", async () => {
  const master = startFakeMaster({ token: TOKEN, cutEveryFrames: 3 });
  try {
    const now = Date.now();
    const fleet = startFleet({
      url: master.url,
      token: TOKEN,
      models: models(5),
      intervalMs: 1000,
      startMs: now - 40_000,
      endMs: now - 10_000,
      speed: Infinity,
      window: 8, // several frames per connection, so cuts land mid-stream
    });
    await fleet.done;
    assertComplete(master, 5, 30);
    assert.ok(fleet.stats.reconnects >= 5, `reconnects ${fleet.stats.reconnects}`);
    for (const m of master.machines.values()) assert.ok(m.connections > 1);
  } finally {
    await master.close();
  }
});

Deno.test("the same seed sends the same samples; sequence numbers continue after lastSeq", async () => {
  const first = startFakeMaster({ token: TOKEN });
  const second = startFakeMaster({ token: TOKEN });
  try {
    const start = Date.now() - 100_000;
    const run = (url: string) =>
      startFleet({
        url,
        token: TOKEN,
        models: models(3, "same"),
        intervalMs: 2000,
        startMs: start,
        endMs: start + 20_000,
        speed: Infinity,
      }).done;
    await run(first.url);
    await run(second.url);
    const dump = (m: FakeMaster) =>
      [...m.machines.values()].map((x) => [...x.samples.values()]).sort((a, b) =>
        a[0].machineId.localeCompare(b[0].machineId)
      );
    assert.deepEqual(dump(first), dump(second));
    // a second run against the same master continues the sequence numbers
    await run(first.url);
    for (const m of first.machines.values()) {
      assert.equal(m.samples.size, 20);
      assert.equal(m.duplicates, 0);
    }
  } finally {
    await first.close();
    await second.close();
  }
});

Deno.test("live mode sends each sample once its time has come, never ahead of the clock", async () => {
  const master = startFakeMaster({ token: TOKEN });
  try {
    const start = Date.now();
    const acks: number[] = [];
    const fleet = startFleet({
      url: master.url,
      token: TOKEN,
      models: models(4),
      intervalMs: 250,
      startMs: start,
      endMs: start + 1500,
      speed: 1,
      onAck: (ts, ackedAt) => acks.push(ackedAt - ts),
    });
    await fleet.done;
    assert.ok(Date.now() - start >= 1250, "took the simulated time");
    assert.equal(fleet.stats.acked, acks.length);
    assert.ok(acks.every((latency) => latency >= 0), "acked before its timestamp");
    for (const m of master.machines.values()) assert.equal(m.samples.size, 6);
  } finally {
    await master.close();
  }
});

Deno.test("--speed compresses time: 60 s of samples at 30x take about 2 s", async () => {
  const master = startFakeMaster({ token: TOKEN });
  try {
    const now = Date.now();
    const began = Date.now();
    const fleet = startFleet({
      url: master.url,
      token: TOKEN,
      models: models(2),
      intervalMs: 1000,
      startMs: now - 600_000,
      endMs: now - 540_000,
      speed: 30,
    });
    await fleet.done;
    assert.ok(Date.now() - began >= 1500, "paced by the speed, not sent at once");
    assertComplete(master, 2, 60);
  } finally {
    await master.close();
  }
});

Deno.test("runSimulation() writes the faults file and fails clearly on a refused token", async () => {
  const master = startFakeMaster({ token: TOKEN });
  const dir = await Deno.makeTempDir();
  try {
    const now = Date.now();
    const config = parseSimulateArgs(
      [
        "--master",
        master.url,
        "--token",
        "wrong-token-1",
        "--workers",
        "3",
        "--start",
        String(now - 120_000),
        "--duration",
        "60s",
        "--faults",
        "cpu@10s+20s:sim-0001,net@30s+5s:2",
        "--faults-out",
        `${dir}/faults.json`,
      ],
      {},
      now,
    );
    const lines: string[] = [];
    await assert.rejects(
      runSimulation(config, { log: (l) => lines.push(l), progressMs: 0 }),
      /the master refused the join token \(close 4001/,
    );
    const written = JSON.parse(await Deno.readTextFile(`${dir}/faults.json`));
    assert.deepEqual(written, config.faults);
    assert.equal(written.length, 2);
    assert.deepEqual(Object.keys(written[0]), [
      "kind",
      "machineId",
      "name",
      "process",
      "start",
      "end",
    ]);
    assert.ok(lines.some((l) => l.includes("fault cpu on sim-0001")));

    const good = { ...config, token: TOKEN };
    const stats = await runSimulation(good, { log: (l) => lines.push(l), progressMs: 0 });
    assert.equal(stats.acked, 3 * 60);
    const faulty = [...master.machines.values()].find((m) => m.hello.hostname === "sim-0001")!;
    const during = [...faulty.samples.values()].filter((s) =>
      s.ts >= config.faults[0].start && s.ts < config.faults[0].end
    );
    assert.equal(during.length, 20);
    assert.ok(during.every((s) => s.cpu!.usage! >= 97));
  } finally {
    await master.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stop() ends an endless fleet and closes its connections", async () => {
  const master = startFakeMaster({ token: TOKEN });
  try {
    const fleet = startFleet({
      url: master.url,
      token: TOKEN,
      models: models(3),
      intervalMs: 100,
      startMs: Date.now(),
      speed: Infinity,
    });
    while (fleet.stats.acked < 6) await new Promise((r) => setTimeout(r, 20));
    await fleet.stop();
    assert.equal(fleet.stats.connected, 0);
    await fleet.done;
  } finally {
    await master.close();
  }
});
