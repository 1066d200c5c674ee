/** Process alert rules: parsing, the values they compare, and notices through a real webhook. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { AlertConfigError, parseAlertConfig } from "../../src/alerts/rules.ts";
import { AlertService } from "../../src/alerts/service.ts";
import { ProcessValues } from "../../src/alerts/process_values.ts";
import type { ProcessEntry, ProcessReport } from "../../src/protocol/processes.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { describeCause } from "../../src/protocol/describe.ts";

const RULES = `
notifiers:
  hook:
    type: webhook
    url: URL
rules:
  - name: nginx-down
    kind: process
    process: nginx
    condition: not-running
    for: 10s
  - name: cpu-hog
    kind: process
    process: "*"
    condition: cpu
    value: 90
    for: 10s
  - name: java-memory
    kind: process
    process: java
    condition: memory
    op: ">="
    value: 4000000000
`;

Deno.test("process rules become comparisons of process values", () => {
  const { rules } = parseAlertConfig(RULES.replace("URL", "http://127.0.0.1:9/hook"));
  assert.deepEqual(
    rules.map((r) => [r.kind, r.metric, r.op, r.threshold, r.process, r.condition, r.forMs]),
    [
      ["process", "process:nginx:count", "<", 1, "nginx", "not-running", 10_000],
      ["process", "process:*:cpu", ">", 90, "*", "cpu", 10_000],
      ["process", "process:java:rss", ">=", 4e9, "java", "memory", 0],
    ],
  );
});

Deno.test("bad process rules are refused with the line and the field", () => {
  const rule = (body: string) => `rules:\n  - name: r\n    kind: process\n${body}`;
  const cases: [string, RegExp][] = [
    [
      rule("    condition: cpu\n    value: 1\n"),
      /:2: rules\[0\]\.process: a process rule needs process/,
    ],
    [
      rule("    process: x\n"),
      /rules\[0\]\.condition: a process rule needs condition \(not-running, cpu, memory\)/,
    ],
    [
      rule('    process: "*"\n    condition: not-running\n'),
      /:4: rules\[0\]\.process: not-running needs a name from the worker's --watch-process/,
    ],
    [
      rule("    process: x\n    condition: not-running\n    value: 3\n"),
      /:6: rules\[0\]\.value: a not-running rule takes no op or value/,
    ],
    [
      rule("    process: x\n    condition: cpu\n"),
      /rules\[0\]\.value: a cpu rule needs value \(percent of one core\)/,
    ],
    [
      rule("    process: x\n    condition: memory\n    value: -1\n"),
      /rules\[0\]\.value: must be 0 or more/,
    ],
    [
      rule("    process: post*\n    condition: cpu\n    value: 5\n"),
      /rules\[0\]\.process: a process name, or "\*" for any/,
    ],
    [rule("    process: x\n    condition: nope\n"), /:5: rules\[0\]\.condition: /],
    [
      rule("    process: x\n    condition: cpu\n    value: 5\n    metric: cpu.usage\n"),
      /rules\[0\]\.metric: a process rule names process, not metric/,
    ],
    [
      "rules:\n  - name: r\n    kind: threshold\n    metric: cpu.usage\n    op: '>'\n    value: 1\n    process: x\n",
      /:7: rules\[0\]\.process: only process rules take process/,
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseAlertConfig(text, "alerts.yaml"), (error: Error) => {
      assert.ok(error instanceof AlertConfigError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
});

function entry(pid: number, name: string, cpu: number | null, rss: number): ProcessEntry {
  return { pid, name, state: "R", cpu, rss, readBps: 0, writeBps: 0 };
}

function scanSample(ts: number, top: ProcessEntry[], nginx: number): Sample {
  const processes: ProcessReport = {
    spanMs: 5000,
    top,
    watched: [{
      name: "nginx",
      count: nginx,
      cpu: nginx * 2,
      rss: nginx * 1e6,
      readBps: 0,
      writeBps: 0,
      pids: [],
    }],
  };
  return { ts, seq: ts / 1000, machineId: "m1", hostname: "web-1", processes };
}

Deno.test("process values: per name sums, watched counts, and 0 for a name no longer listed", () => {
  const values = new ProcessValues();
  const first = new Map<string, number>();
  values.add(
    "m1",
    scanSample(0, [entry(1, "ffmpeg", null, 100), entry(2, "ffmpeg", null, 50)], 2),
    first,
  );
  assert.deepEqual(Object.fromEntries(first), {
    "process:nginx:count": 2,
    "process:nginx:cpu": 4,
    "process:nginx:rss": 2e6,
    "process:ffmpeg:rss": 150, // no CPU measured yet: no CPU value
  });
  const second = new Map<string, number>();
  values.add(
    "m1",
    scanSample(5000, [entry(1, "ffmpeg", 150.5, 100), entry(2, "ffmpeg", 30.2, 50)], 0),
    second,
  );
  assert.equal(second.get("process:ffmpeg:cpu"), 180.7);
  assert.equal(second.get("process:nginx:count"), 0);
  const third = new Map<string, number>();
  values.add("m1", scanSample(10_000, [entry(3, "sshd", 0.1, 9)], 1), third);
  assert.equal(third.get("process:ffmpeg:cpu"), 0, "gone from the list");
  assert.equal(third.get("process:ffmpeg:rss"), 0);
  const between = new Map<string, number>();
  values.add("m1", { ts: 11_000, seq: 11, machineId: "m1", hostname: "web-1" }, between);
  assert.equal(between.size, 0, "a sample without a scan adds nothing");
});

Deno.test("process alerts fire and end through a real webhook, worded with the process", async () => {
  const bodies: { status: string; rule: string; message: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bodies.push(await request.json());
    return new Response(null, { status: 204 });
  });
  const dir = await Deno.makeTempDir();
  const db = new DatabaseSync(`${dir}/gridmon.db`);
  let now = 0;
  const service = new AlertService({
    config: parseAlertConfig(RULES.replace("URL", `http://127.0.0.1:${server.addr.port}/hook`)),
    db,
    now: () => now,
    log: () => {},
  });
  const web = { id: "m1", name: "web-1" };
  try {
    // Samples every second, a scan every 5 s: ffmpeg hogs two cores from 0 to 30 s, nginx is
    // down from 40 s, java stays under its memory limit.
    for (now = 0; now <= 70_000; now += 1000) {
      if (now % 5000 !== 0) {
        service.onSample(web, { ts: now, seq: now / 1000, machineId: "m1", hostname: "web-1" });
        continue;
      }
      const top = [entry(7, "java", 5, 3e9)];
      if (now <= 30_000) top.unshift(entry(4121, "ffmpeg", 180, 2e8));
      service.onSample(web, scanSample(now, top, now >= 40_000 ? 0 : 2));
    }
    await service.idle();
    const told = bodies.map((b) => [b.rule, b.status, b.message]);
    assert.deepEqual(told, [
      ["cpu-hog", "firing", "ffmpeg on web-1 uses 180 % CPU (> 90 % CPU for 10s)"],
      ["cpu-hog", "resolved", "ffmpeg on web-1 is back to 0 % CPU (limit > 90 % CPU)"],
      ["nginx-down", "firing", "nginx is not running on web-1 (none for 10s)"],
    ]);
    const [nginx] = service.active().filter((a) => a.rule === "nginx-down");
    assert.equal(nginx.since, 40_000);
    assert.equal(nginx.firedAt, 50_000);
  } finally {
    service.stop();
    db.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an anomaly alert's cause names the processes behind it", async () => {
  const bodies: { rule: string; cause: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bodies.push(await request.json());
    return new Response(null, { status: 204 });
  });
  const dir = await Deno.makeTempDir();
  const db = new DatabaseSync(`${dir}/gridmon.db`);
  const config = parseAlertConfig(`
notifiers:
  hook:
    type: webhook
    url: http://127.0.0.1:${server.addr.port}/hook
rules:
  - name: anomaly
    kind: anomaly
`);
  const service = new AlertService({ config, db, now: () => 10_000, log: () => {} });
  try {
    const cause = { metric: "cpu.usage", value: 98, normalLow: 5, normalHigh: 35 };
    service.onAnomaly({ id: "m1", name: "web-1" }, {
      id: 1,
      start: 10_000,
      end: null,
      peakScore: 0.9,
      reason: "cpu.usage",
      causes: [cause],
      processes: [
        { pid: 4121, name: "ffmpeg", measure: "cpu", value: 180 },
        { pid: 900, name: "postgres", measure: "cpu", value: 40 },
      ],
    }, 10_000);
    await service.idle();
    assert.equal(bodies.length, 1);
    assert.equal(
      bodies[0].cause,
      `${describeCause(cause)}: ffmpeg (pid 4121) 180 %, postgres 40 %`,
    );
  } finally {
    service.stop();
    db.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
