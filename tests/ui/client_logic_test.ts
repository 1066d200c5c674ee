/**
 * The browser modules' pure logic, run in Deno: the bundled catalogue (static/gen/catalogue.js)
 * works as its source does, routes, the fleet store and which charts a machine gets.
 */
import assert from "node:assert/strict";
import { flattenSample as flattenOnMaster } from "../../src/protocol/metrics.ts";
import { describeCause as describeOnMaster } from "../../src/protocol/describe.ts";
import type { Sample } from "../../src/protocol/sample.ts";

/**
 * Loads a browser module at run time. A static import would pull the modules' DOM typings
 * (`/// <reference lib="dom" />`) into the whole test program; `deno check static/app.js`
 * type-checks them on their own.
 */
function browserModule(name: string) {
  return import(
    new URL(`../../static/${name.includes("/") ? "" : "js/"}${name}`, import.meta.url).href
  );
}
const { chartSpecs, describeCause, flattenSample } = await browserModule("gen/catalogue.js");
const { machineHash, parseRoute, routeHash } = await browserModule("router.js");
const { createFleet, pushSpark, SPARK_WINDOW_MS, statusOf } = await browserModule("state.js");
const { resolveRange } = await browserModule("machine_page.js");
const { describeCondition, describeDelivery, globFromSource, shortDuration } = await browserModule(
  "alerts_page.js",
);

const SAMPLE: Sample = {
  ts: 1_763_700_000_000,
  seq: 3,
  machineId: "m1",
  hostname: "web-1",
  cpu: {
    usage: 12.5,
    user: 8,
    system: 3,
    iowait: 0.5,
    steal: 0,
    nice: 1,
    irq: 0,
    softirq: 0.2,
    cores: [10, null, 15],
  },
  mem: {
    total: 1000,
    used: 400,
    available: 600,
    cached: 100,
    buffers: 10,
    usedPct: 40,
    swapTotal: 50,
    swapUsed: 5,
  },
  load: { "1": 0.5, "5": 0.4, "15": 0.3 },
  disks: [{
    name: "nvme0n1",
    readBps: 1,
    writeBps: 2,
    readIops: null,
    writeIops: 4,
    utilPct: 5,
  }],
  filesystems: [{ mount: "/var/lib:x", fstype: "ext4", size: 10, used: 5, usedPct: 50 }],
  net: [{
    iface: "eth0",
    rxBps: 1,
    txBps: 2,
    rxPps: 3,
    txPps: 4,
    rxErrors: 0,
    txErrors: 0,
    rxDrops: 1,
  }],
  pressure: {
    cpu: { some10: 1, some60: 1, some300: 1 },
    io: { some10: 2, some60: 2, some300: 2, full10: 3 },
  },
  temps: [{ sensor: "coretemp", label: "Core 0", celsius: 51 }],
  uptime: 3600,
  procs: 120,
  procsRunning: 2,
};

Deno.test("the bundled catalogue flattens and words a sample as the master does", () => {
  assert.deepEqual([...flattenSample(SAMPLE)], [...flattenOnMaster(SAMPLE)]);
  const cause = { metric: "net:eth0:rxBps", value: 9e8, normalLow: 5e6, normalHigh: 1.4e7 };
  assert.equal(describeCause(cause), describeOnMaster(cause));
  assert.equal(describeCause(cause), "Network in 858 MiB/s on eth0 (usually 4.77–13.4 MiB/s)");
});

Deno.test("a machine route survives ids with slashes and question marks", () => {
  const hash = machineHash("a/b?c", { range: "6h", from: 5, to: "" });
  const route = parseRoute(hash);
  assert.equal(route.page, "machine");
  assert.equal(route.id, "a/b?c");
  assert.equal(route.params.get("range"), "6h");
  assert.equal(route.params.get("from"), "5");
  assert.equal(route.params.has("to"), false);
  assert.equal(parseRoute(routeHash("/anomalies", { machine: "x" })).page, "anomalies");
  assert.equal(parseRoute("").page, "fleet");
  const alerts = parseRoute(routeHash("/alerts", { machine: "a/b", range: "7d" }));
  assert.equal(alerts.page, "alerts");
  assert.equal(alerts.params.get("machine"), "a/b");
});

Deno.test("a tick updates known machines and names the unknown ones", () => {
  const fleet = createFleet();
  fleet.load([{ id: "a", name: "a", online: false, anomaly: { score: null, anomalous: false } }]);
  const unknown = fleet.applyTick({
    ts: 1000,
    machines: [
      { id: "a", ts: 1000, cpu: 50, mem: 20, diskBps: 1, netBps: 2, score: 0.9, anomalous: true },
      { id: "b", ts: 1000, cpu: 1 },
    ],
  });
  assert.deepEqual(unknown, ["b"]);
  const a = fleet.machines.get("a")!;
  assert.equal(statusOf(a), "anomalous");
  assert.equal(a.cpu, 50);
  assert.deepEqual(a.sparkV, [50]);
});

Deno.test("sparkline history keeps only the last 15 minutes, in time order", () => {
  const fleet = createFleet();
  fleet.load([{ id: "a", name: "a", online: true }]);
  const m = fleet.machines.get("a")!;
  for (let t = 0; t <= SPARK_WINDOW_MS + 200_000; t += 1000) pushSpark(m, t, 1);
  pushSpark(m, 5, 1); // out of order: ignored
  assert.ok(m.sparkT[0] >= 200_000 - 65_000, `oldest kept ${m.sparkT[0]}`);
  assert.ok(m.sparkT.every((t: number, i: number) => i === 0 || t > m.sparkT[i - 1]));
});

Deno.test("a machine gets one chart per metric family it reports", () => {
  const keys = new Set(flattenOnMaster(SAMPLE).keys());
  keys.add("anomaly.score");
  const ids = chartSpecs(keys, false).map((s: { id: string }) => s.id);
  assert.deepEqual(ids, [
    "cpu",
    "mem",
    "load",
    "disk",
    "diskutil",
    "net",
    "neterr",
    "fs",
    "pressure",
    "temp",
    "score",
  ]);
  assert.ok(chartSpecs(keys, true).some((s: { id: string }) => s.id === "cores"));
  const fs = chartSpecs(keys, false).find((s: { id: string }) => s.id === "fs")!;
  assert.deepEqual(fs.series.map((s: { label: string }) => s.label), ["/var/lib:x"]);
});

Deno.test("a zoomed route wins over its preset; live is the last 5 minutes", () => {
  const now = 10_000_000;
  const zoom = resolveRange(new URLSearchParams("range=6h&from=100&to=200"), now);
  assert.deepEqual(zoom, { preset: "6h", from: 100, to: 200, live: false, zoomed: true });
  const live = resolveRange(new URLSearchParams("range=live"), now);
  assert.equal(live.live, true);
  assert.equal(live.to - live.from, 5 * 60e3);
  assert.equal(resolveRange(new URLSearchParams("range=bogus"), now).preset, "1h");
});

Deno.test("a machine's alert count comes from /api/machines and its machine frames", () => {
  const fleet = createFleet();
  const kinds: string[] = [];
  fleet.subscribe((k: string) => kinds.push(k));
  fleet.load([{ id: "m1", name: "web-1", online: true, latest: null, alerts: 0 }]);
  assert.equal(fleet.machines.get("m1").alerts, 0);
  fleet.updateMachine({ id: "m1", name: "web-1", online: true, latest: null, alerts: 2 });
  assert.equal(fleet.machines.get("m1").alerts, 2);
  // From none to some changes what the "with alerts" filter keeps: a structure change.
  assert.deepEqual(kinds, ["structure", "structure"]);
  fleet.updateMachine({ id: "m1", name: "web-1", online: true, latest: null, alerts: 1 });
  assert.equal(kinds.at(-1), "values");
  fleet.updateMachine({ id: "m1", name: "web-1", online: true, latest: null });
  assert.equal(fleet.machines.get("m1").alerts, 0);
});

Deno.test("delivery outcomes read as delivered, retrying or failed with the error", () => {
  const base = { notifier: "ops", at: 0 };
  assert.deepEqual(describeDelivery({ ...base, ok: true, attempt: 1, final: true, error: null }), {
    state: "delivered",
    text: "ops: delivered",
  });
  assert.equal(
    describeDelivery({ ...base, ok: true, attempt: 3, final: true, error: null }).text,
    "ops: delivered (attempt 3)",
  );
  assert.deepEqual(
    describeDelivery({ ...base, ok: false, attempt: 1, final: false, error: "HTTP 502" }),
    { state: "retrying", text: "ops: retrying (attempt 1 failed: HTTP 502)" },
  );
  assert.deepEqual(
    describeDelivery({ ...base, ok: false, attempt: 6, final: true, error: "fetch failed" }),
    { state: "failed", text: "ops: failed after 6 attempts: fetch failed" },
  );
});

Deno.test("rules read as people wrote them: globs, conditions, durations", () => {
  assert.equal(globFromSource("^web-.*$"), "web-*");
  assert.equal(globFromSource("^db\\.host-?$"), "db.host-?");
  assert.equal(globFromSource(null), null);
  assert.equal(
    describeCondition({ kind: "threshold", metric: "fs:*:usedPct", op: ">=", threshold: 90 }),
    "fs:*:usedPct >= 90",
  );
  assert.equal(describeCondition({ kind: "offline" }), "stops reporting");
  assert.equal(
    describeCondition({ kind: "process", process: "nginx", condition: "not-running" }),
    "nginx not running",
  );
  assert.equal(
    describeCondition({ kind: "process", process: "*", condition: "cpu", op: ">", threshold: 90 }),
    "any process CPU % > 90",
  );
  assert.equal(shortDuration(0), "at once");
  assert.equal(shortDuration(5000), "5s");
  assert.equal(shortDuration(120_000), "2m");
  assert.equal(shortDuration(7_200_000), "2h");
});
