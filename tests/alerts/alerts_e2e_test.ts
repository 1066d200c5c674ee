/**
 * Alerts end to end: the real master (a subprocess with its exact permission flags) fed by the
 * simulator over the real protocol, delivering to a local HTTP receiver.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSimulateArgs } from "../../src/cli/simulate_args.ts";
import { masterPermissionFlags } from "../../src/master/permissions.ts";
import { runSimulation } from "../../src/simulate/main.ts";
import { freePort, spawnMasterChild } from "../master/master_process.ts";

const TOKEN = "alerts-e2e-join-token";
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

interface Hook {
  status: string;
  transition: string;
  firedAt: number;
  resolvedAt: number | null;
  foundLate: boolean;
  rule: string;
  metric: string | null;
  machine: { id: string; name: string };
  message: string;
}

function receiver() {
  const hooks: Hook[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    hooks.push(await request.json());
    return new Response(null, { status: 204 });
  });
  return {
    hooks,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    close: () => server.shutdown(),
  };
}

/**
 * The notices, each once: delivery is at least once, so a receiver too slow to answer within the
 * timeout (a loaded test machine) gets the same notice again on the retry.
 */
function distinct(hooks: Hook[]): Hook[] {
  return [...new Map(hooks.map((h) => [JSON.stringify(h), h])).values()];
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("a malformed rules file stops the master with the line and field", async () => {
  const dataDir = await Deno.makeTempDir();
  const rules = join(dataDir, "alerts.yaml");
  await Deno.writeTextFile(
    rules,
    "rules:\n  - name: hot\n    kind: threshold\n    metric: cpu.usage\n    op: '>>'\n    value: 90\n",
  );
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...masterPermissionFlags({ dataDir, localWorker: false }),
      MAIN,
      "master",
      "--port",
      "0",
      "--data",
      dataDir,
      "--no-local-worker",
      "--alerts",
      rules,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 1, stderr);
  assert.match(stderr, /alerts\.yaml:5: rules\[0\]\.op: /);
  assert.equal(new TextDecoder().decode(result.stdout).includes("Dashboard:"), false);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("threshold, anomaly and offline alerts reach a webhook from a simulated fleet", async () => {
  const dataDir = await Deno.makeTempDir();
  const rx = receiver();
  await Deno.writeTextFile(
    join(dataDir, "alerts.yaml"),
    `notifiers:
  rx:
    type: webhook
    url: ${rx.url}
rules:
  - name: cpu-hot
    kind: threshold
    metric: cpu.usage
    op: ">="
    value: 97
    for: 10s
  - name: odd
    kind: anomaly
  - name: down
    kind: offline
    for: 2s
`,
  );
  const port = freePort();
  const master = await spawnMasterChild({
    dataDir,
    port,
    token: TOKEN,
    args: ["--public-ui", "--alerts", join(dataDir, "alerts.yaml")],
  });
  try {
    const now = Date.now();
    const config = parseSimulateArgs(
      [
        "--master",
        `ws://127.0.0.1:${port}`,
        "--token",
        TOKEN,
        "--workers",
        "3",
        "--start",
        String(now - 20 * 60_000),
        "--duration",
        "20m",
        "--faults",
        "cpu@15m+2m:sim-0001",
      ],
      {},
      now,
    );
    await runSimulation(config, { log: () => {}, progressMs: 0 });

    // The simulation ended, its connections closed: all three machines go offline.
    await until(
      "three offline alerts",
      () => distinct(rx.hooks.filter((h) => h.rule === "down")).length === 3,
    );
    // Everything happened in back-filled data: each alert is told once, after the fact, with its
    // own times (the fault: minutes 15 to 17 of the run), never as a fire/resolve pair.
    const fault = (hook: Hook) => hook.machine.name === "sim-0001";
    const faultStart = config.faults[0].start;
    const faultEnd = config.faults[0].end;
    const hot = distinct(rx.hooks.filter((h) => h.rule === "cpu-hot"));
    assert.deepEqual(hot.map((h) => [h.machine.name, h.transition, h.status]), [
      ["sim-0001", "found-late", "resolved"],
    ]);
    assert.ok(hot[0].foundLate);
    assert.ok(
      hot[0].firedAt >= faultStart && hot[0].firedAt <= faultStart + 60_000,
      hot[0].message,
    );
    assert.ok(hot[0].resolvedAt! >= faultEnd - 5000 && hot[0].resolvedAt! <= faultEnd + 60_000);
    assert.match(hot[0].message, /from .* UTC to .* UTC \(found late/);
    const odd = distinct(rx.hooks.filter((h) => h.rule === "odd"));
    assert.ok(odd.length >= 1 && odd.every(fault), JSON.stringify(odd));
    assert.ok(odd.every((h) => h.transition === "found-late"), JSON.stringify(odd));
    // The cause at the event's peak: the CPU fault, or the load it drives.
    assert.match(odd[0].metric ?? "", /^(cpu|load)\./, odd[0].message);
    // Worded as everywhere: "CPU 100 % (usually 33–50 %)".
    assert.match(
      odd[0].message,
      /^Anomaly on sim-0001 from .* UTC to .* UTC: (CPU|Load).* \(usually /,
    );

    const api = await (await fetch(`http://127.0.0.1:${port}/api/alerts`)).json();
    assert.equal(api.active.filter((a: { rule: string }) => a.rule === "down").length, 3);
    assert.ok(
      api.history.some((a: { rule: string; resolvedAt: number | null }) =>
        a.rule === "cpu-hot" && a.resolvedAt !== null
      ),
    );
    const machines = await (await fetch(`http://127.0.0.1:${port}/api/machines`)).json();
    assert.ok(
      machines.every((m: { alerts: number }) => m.alerts >= 1),
      "every machine shows a badge count",
    );
  } finally {
    master.child.kill("SIGTERM");
    await master.done;
    await rx.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a one-hour back-fill with three faults: three alerts at the faults' own times, each told once, none firing", async () => {
  const dataDir = await Deno.makeTempDir();
  const rx = receiver();
  await Deno.writeTextFile(
    join(dataDir, "alerts.yaml"),
    `notifiers:
  rx:
    type: webhook
    url: ${rx.url}
rules:
  - name: cpu-hot
    kind: threshold
    metric: cpu.usage
    op: ">="
    value: 97
    for: 30s
`,
  );
  const port = freePort();
  const master = await spawnMasterChild({
    dataDir,
    port,
    token: TOKEN,
    args: ["--public-ui", "--alerts", join(dataDir, "alerts.yaml")],
  });
  try {
    const now = Date.now();
    // As `gridmon simulate --start now-1h --duration 1h --faults ...` runs it.
    const config = parseSimulateArgs(
      [
        "--master",
        `ws://127.0.0.1:${port}`,
        "--token",
        TOKEN,
        "--workers",
        "3",
        "--start",
        "now-1h",
        "--duration",
        "1h",
        "--faults",
        "cpu@10m+5m:sim-0000,cpu@25m+4m:sim-0001,cpu@40m+6m:sim-0002",
      ],
      {},
      now,
    );
    await runSimulation(config, { log: () => {}, progressMs: 0 });
    await until("three notices", () => distinct(rx.hooks).length >= 3);
    await new Promise((r) => setTimeout(r, 2000)); // anything more would show up by now
    const api = await (await fetch(`http://127.0.0.1:${port}/api/alerts?from=${now - 7_200_000}`))
      .json() as {
        active: unknown[];
        history: { machineName: string; firedAt: number; resolvedAt: number; foundLate: boolean }[];
      };
    assert.deepEqual(api.active, [], "nothing left firing");
    const history = [...api.history].sort((a, b) => a.firedAt - b.firedAt);
    assert.equal(history.length, 3, JSON.stringify(history));
    history.forEach((alert, i) => {
      const fault = config.faults[i];
      assert.equal(alert.machineName, fault.name);
      assert.ok(alert.foundLate);
      // Its own time: 30 s into the fault (the rule's `for`), ended when the fault did.
      assert.ok(Math.abs(alert.firedAt - (fault.start + 30_000)) <= 2000, `${alert.firedAt}`);
      assert.ok(Math.abs(alert.resolvedAt - fault.end) <= 2000, `${alert.resolvedAt}`);
    });
    // Each told once, after the fact, with its times.
    const told = distinct(rx.hooks);
    assert.equal(told.length, 3, JSON.stringify(rx.hooks));
    assert.deepEqual(
      told.map((h) => h.machine.name).sort(),
      config.faults.map((f) => f.name).sort(),
    );
    for (const hook of told) {
      assert.equal(hook.transition, "found-late");
      assert.match(
        hook.message,
        /was \d+(\.\d+)? % \(>= 97 %\) from .* UTC to .* UTC \(found late/,
      );
    }
  } finally {
    master.child.kill("SIGTERM");
    await master.done;
    await rx.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
