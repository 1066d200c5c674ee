import assert from "node:assert/strict";
import { AlertEngine, type AlertNotice } from "../../src/alerts/engine.ts";
import { parseAlertConfig } from "../../src/alerts/rules.ts";
import { engineFor as engineWith } from "./engine_fixture.ts";

const web = { id: "m1", name: "web-1" };
const db = { id: "m2", name: "db-1" };

function engineFor(yaml: string) {
  const fixture = engineWith(yaml);
  return { ...fixture, delivered: () => fixture.delivered().map((n) => n.transition) };
}

const CPU_RULE = `
rules:
  - name: high-cpu
    kind: threshold
    metric: cpu.usage
    op: ">"
    value: 90
    for: 5m
`;

function cpu(value: number) {
  return new Map([["cpu.usage", value]]);
}

Deno.test("a sustained condition fires once and recovers once", () => {
  const { engine, notices, delivered } = engineFor(CPU_RULE);
  for (let t = 0; t <= 600; t++) engine.observeSample(web, cpu(97), t * 1000);
  for (let t = 601; t <= 700; t++) engine.observeSample(web, cpu(20), t * 1000);
  assert.deepEqual(delivered(), ["firing", "resolved"]);
  assert.equal(notices[0].alert.firedAt, 300_000);
  assert.equal(notices[0].alert.machineName, "web-1");
  assert.match(notices[0].alert.message, /^CPU on web-1 is 97 % \(> 90 % for 5m\)$/);
  assert.equal(notices[1].alert.resolvedAt, 601_000);
});

Deno.test("a metric flapping inside the sustain window never fires", () => {
  const { engine, notices } = engineFor(CPU_RULE);
  for (let t = 0; t <= 3600; t++) engine.observeSample(web, cpu(t % 240 < 200 ? 99 : 10), t * 1000);
  assert.deepEqual(notices, []);
});

Deno.test("repeat re-notifies while the condition holds", () => {
  const { engine, delivered } = engineFor(CPU_RULE + "    repeat: 10m\n");
  for (let t = 0; t <= 1900; t += 10) engine.observeSample(web, cpu(95), t * 1000);
  assert.deepEqual(delivered(), ["firing", "repeat", "repeat"]);
});

Deno.test("per-device wildcards track each device separately", () => {
  const { engine, notices } = engineFor(`
rules:
  - name: disk-full
    kind: threshold
    metric: "fs:*:usedPct"
    op: ">="
    value: 90
`);
  engine.observeSample(
    db,
    new Map([["fs:/:usedPct", 40], ["fs:/data:usedPct", 95], ["cpu.usage", 99]]),
    0,
  );
  assert.equal(notices.length, 1);
  assert.equal(notices[0].alert.device, "/data");
  assert.equal(notices[0].alert.metric, "fs:/data:usedPct");
});

Deno.test("machine patterns limit a rule's scope", () => {
  const { engine, notices } = engineFor(CPU_RULE.replace("for: 5m", "machines: web-*"));
  engine.observeSample(db, cpu(99), 0);
  assert.equal(notices.length, 0);
  engine.observeSample(web, cpu(99), 0);
  assert.equal(notices.length, 1);
});

Deno.test("an offline machine fires after the delay and recovers when it returns", () => {
  const { engine, notices, delivered } = engineFor(
    "rules:\n  - name: down\n    kind: offline\n    for: 30s\n",
  );
  engine.observeStatus(web, false, 1_000);
  engine.tick(20_000);
  assert.deepEqual(delivered(), []);
  engine.tick(31_000);
  assert.deepEqual(delivered(), ["firing"]);
  assert.match(notices[0].alert.message, /^web-1 has been offline for 30 s$/);
  engine.tick(60_000);
  assert.deepEqual(delivered(), ["firing"]);
  engine.observeStatus(web, true, 70_000);
  assert.deepEqual(delivered(), ["firing", "resolved"]);
});

Deno.test("a machine back before the delay never fires", () => {
  const { engine, notices } = engineFor(
    "rules:\n  - name: down\n    kind: offline\n    for: 30s\n",
  );
  engine.observeStatus(web, false, 0);
  engine.tick(10_000);
  engine.observeSample(web, cpu(1), 12_000);
  engine.tick(60_000);
  assert.deepEqual(notices, []);
});

Deno.test("an anomaly event fires naming its metric and resolves when it closes", () => {
  const { engine, notices, delivered } = engineFor("rules:\n  - name: odd\n    kind: anomaly\n");
  const cause = {
    metric: "disk.writeBps",
    value: 80 * 2 ** 20,
    normalLow: 2 ** 20,
    normalHigh: 6 * 2 ** 20,
  };
  const event = {
    id: 7,
    start: 1000,
    end: null,
    peakScore: 0.81,
    reason: "disk.writeBps",
    causes: [cause],
  };
  engine.observeAnomaly(web, event, 2000);
  engine.observeAnomaly(web, { ...event, peakScore: 0.9 }, 3000);
  assert.deepEqual(delivered(), ["firing"]);
  assert.match(
    notices[0].alert.message,
    /^Anomaly on web-1: Disk write 80(\.0)? MiB\/s \(usually 1(\.0)?–6(\.0)? MiB\/s\) \(score 0\.81\)$/,
  );
  engine.observeAnomaly(web, { ...event, end: 9000 }, 9000);
  assert.deepEqual(delivered(), ["firing", "resolved"]);
});

Deno.test("a silenced alert is recorded but not delivered, then delivered when the silence ends", () => {
  const yaml = CPU_RULE.replace("for: 5m", "for: 0s") +
    "silences:\n  - rule: high-cpu\n    from: 1970-01-01T00:00:00Z\n    until: 1970-01-01T00:01:00Z\n";
  const { engine, notices, delivered } = engineFor(yaml);
  engine.observeSample(web, cpu(99), 10_000);
  assert.equal(notices.length, 1);
  assert.equal(notices[0].deliver, false);
  assert.equal(notices[0].alert.silenced, true);
  engine.observeSample(web, cpu(99), 59_000);
  assert.deepEqual(delivered(), []);
  engine.observeSample(web, cpu(99), 61_000);
  assert.deepEqual(delivered(), ["firing"]);
});

Deno.test("a restored firing alert is not announced again after a restart", () => {
  const first = engineFor(CPU_RULE.replace("for: 5m", "for: 0s"));
  first.engine.observeSample(web, cpu(99), 0);
  const restored = first.engine.active();
  const config = parseAlertConfig(CPU_RULE.replace("for: 5m", "for: 0s"));
  const notices: AlertNotice[] = [];
  const second = new AlertEngine({
    rules: config.rules,
    silences: [],
    restore: restored,
    notify: (n) => notices.push(n),
  });
  second.observeSample(web, cpu(99), 5_000);
  assert.equal(notices.length, 0);
  second.observeSample(web, cpu(5), 6_000);
  assert.deepEqual(notices.map((n) => n.transition), ["resolved"]);
});
