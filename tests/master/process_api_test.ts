/** The process API and /metrics of watched processes, on a real master fed over the protocol. */
import assert from "node:assert/strict";
import type { ProcessReport } from "../../src/protocol/processes.ts";
import { promtool } from "../helpers/promtool.ts";
import { openTempStore } from "./real_store.ts";
import { connectWorker, makeSample, startTestMaster, UI_TOKEN } from "./test_master.ts";

const BEARER = { Authorization: `Bearer ${UI_TOKEN}` };

function report(i: number): ProcessReport {
  const top = [
    {
      pid: 900,
      name: "postgres",
      state: "S",
      cpu: 40,
      rss: 300e6,
      readBps: 10,
      writeBps: 5000,
      threads: 1,
      start: 1000,
    },
    {
      pid: 77,
      name: 'ss"hd\n<b>',
      state: "S",
      cpu: 0.2,
      rss: 8e6,
      readBps: 0,
      writeBps: 0,
      threads: 1,
      start: 500,
    },
  ];
  if (i >= 2) {
    top.unshift({
      pid: 4121,
      name: "ffmpeg",
      state: "R",
      cpu: 180,
      rss: 120e6,
      readBps: 2e6,
      writeBps: 0,
      threads: 4,
      start: 7000,
    });
  }
  return {
    spanMs: 5000,
    top,
    watched: [
      { name: "nginx", count: 0, cpu: 0, rss: 0, readBps: 0, writeBps: 0, pids: [] },
      { name: "postgres", count: 1, cpu: 40, rss: 300e6, readBps: 10, writeBps: 5000, pids: [900] },
    ],
    ioUnreadable: 0,
  };
}

Deno.test("what ran at T, sorted, one process over time, and watched processes in /metrics", async () => {
  const temp = await openTempStore();
  const t = await startTestMaster({ store: temp.store });
  try {
    const { socket } = await connectWorker(t.ws, "m1");
    const now = Date.now();
    const t0 = now - 60_000;
    const samples = Array.from({ length: 20 }, (_, i) => {
      const sample = { ...makeSample("m1", i, t0 + i * 1000) };
      if (i % 5 === 0) Object.assign(sample, { processes: report(i / 5) });
      return sample;
    });
    socket.send({ type: "samples", v: 1, samples });
    assert.equal((await socket.next()).seq, 19);
    const get = async (path: string) => {
      const response = await fetch(`${t.http}${path}`, { headers: BEARER });
      return { status: response.status, body: await response.json() };
    };

    const latest = await get("/api/machines/m1/processes");
    assert.equal(latest.status, 200);
    assert.equal(latest.body.t, t0 + 15_000);
    assert.deepEqual(latest.body.processes.map((p: { pid: number }) => p.pid), [4121, 900, 77]);
    assert.equal(latest.body.processes[2].name, 'ss"hd\n<b>');
    const byMemory = await get("/api/machines/m1/processes?sort=rss&limit=1");
    assert.deepEqual(byMemory.body.processes.map((p: { name: string }) => p.name), ["postgres"]);
    const early = await get(`/api/machines/m1/processes?at=${t0 + 7_000}`);
    assert.equal(early.body.tier, "raw");
    assert.equal(early.body.t, t0 + 10_000, "the scan at 10 s covers 5..10 s");
    assert.deepEqual(early.body.processes.map((p: { name: string }) => p.name), [
      "ffmpeg",
      "postgres",
      'ss"hd\n<b>',
    ]);
    const before = await get(`/api/machines/m1/processes?at=${t0 + 2_000}`);
    assert.deepEqual(before.body.processes.map((p: { name: string }) => p.name), [
      "postgres",
      'ss"hd\n<b>',
    ]);

    const history = await get(
      `/api/machines/m1/processes/history?pid=4121&start=7000&from=${t0}&to=${
        t0 + 19_999
      }&points=4`,
    );
    assert.equal(history.status, 200);
    assert.deepEqual(history.body.listed.reduce((a: number, b: number) => a + b, 0), 2);
    const watched = await get(
      `/api/machines/m1/processes/history?name=nginx&from=${t0}&to=${t0 + 19_999}&points=20`,
    );
    assert.deepEqual(watched.body.count.filter((c: number | null) => c !== null), [0, 0, 0, 0]);

    // An anomaly event of that time names the processes behind its cause.
    temp.store.openAnomaly({
      machineId: "m1",
      start: t0 + 11_000,
      end: null,
      peakScore: 0.9,
      reason: "cpu.usage",
      causes: [{ metric: "cpu.usage", value: 99, normalLow: 5, normalHigh: 35, contribution: 1 }],
    });
    const events = await get(`/api/anomalies?machine=m1&from=${t0}`);
    assert.deepEqual(
      events.body[0].processes.map((p: { name: string; pid: number; value: number }) => [
        p.name,
        p.pid,
        p.value,
      ]),
      [["ffmpeg", 4121, 180], ["postgres", 900, 40], ['ss"hd\n<b>', 77, 0.2]],
    );

    const metrics = await fetch(`${t.http}/metrics`, { headers: BEARER }).then((r) => r.text());
    assert.match(
      metrics,
      /^gridmon_process_instances\{machine="m1",name="[^"]*",process="nginx"\} 0$/m,
    );
    assert.match(
      metrics,
      /^gridmon_process_cpu_percent\{machine="m1",name="[^"]*",process="postgres"\} 40$/m,
    );
    const { code, output } = await promtool(metrics);
    assert.equal(code, 0, output);

    const bad: [string, RegExp][] = [
      ["/api/machines/m1/processes?sort=name", /sort: "name" is not one of cpu, rss, read, write/],
      ["/api/machines/m1/processes?at=soon", /at: "soon" is not a whole number/],
      ["/api/machines/m1/processes?limit=0", /limit: 0 is out of range/],
      ["/api/machines/m1/processes/history", /give either pid \(with start\) or name/],
      ["/api/machines/m1/processes/history?pid=1&name=x", /give either pid/],
      ["/api/machines/m1/processes/history?name=x&start=5", /start goes with pid/],
      [`/api/machines/m1/processes/history?name=${"x".repeat(300)}`, /longer than 256/],
    ];
    for (const [path, message] of bad) {
      const { status, body } = await get(path);
      assert.equal(status, 400, path);
      assert.match(body.error, message);
    }
    assert.equal((await get("/api/machines/nope/processes")).status, 404);
    assert.equal((await get("/api/machines/nope/processes/history?pid=1")).status, 404);
    const gap = await get(`/api/machines/m1/processes?at=${t0 - 3_600_000}`);
    assert.equal(gap.status, 404);
    assert.match(gap.body.error, /no process scan/);
    const unauthenticated = await fetch(`${t.http}/api/machines/m1/processes`);
    assert.equal(unauthenticated.status, 401);
    await unauthenticated.body?.cancel();
    socket.close();
  } finally {
    await t.master.close();
    await temp.dispose();
  }
});
