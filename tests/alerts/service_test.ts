import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseAlertConfig } from "../../src/alerts/rules.ts";
import { AlertService } from "../../src/alerts/service.ts";
import type { Sample } from "../../src/protocol/sample.ts";

function receiver(status = 204) {
  const bodies: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bodies.push(await request.json());
    return new Response(null, { status });
  });
  return {
    bodies,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    close: () => server.shutdown(),
  };
}

function sample(ts: number, usage: number): Sample {
  return {
    ts,
    seq: ts / 1000,
    machineId: "m1",
    hostname: "web-1",
    cpu: { usage, user: usage, system: 0 },
  };
}

const web = { id: "m1", name: "web-1" };

function rules(url: string) {
  return parseAlertConfig(`
notifiers:
  hook:
    type: webhook
    url: ${url}
rules:
  - name: high-cpu
    kind: threshold
    metric: cpu.usage
    op: ">"
    value: 90
    for: 10s
`);
}

Deno.test("the service stores a firing and its recovery, and keeps them across a restart", async () => {
  const dir = await Deno.makeTempDir();
  const rx = receiver();
  let now = 0;
  const db = new DatabaseSync(`${dir}/gridmon.db`);
  const service = new AlertService({ config: rules(rx.url), db, now: () => now, log: () => {} });
  for (now = 0; now <= 20_000; now += 1000) service.onSample(web, sample(now, 95));
  await service.idle();
  assert.equal(service.active().length, 1);
  assert.deepEqual(service.activeByMachine(), new Map([["m1", 1]]));
  const [record] = service.history({ from: 0, to: now });
  assert.equal(record.firedAt, 10_000);
  assert.equal(record.resolvedAt, null);
  assert.deepEqual(record.deliveries.map((d) => [d.notifier, d.ok]), [["hook", true]]);
  service.stop();
  db.close();

  // A restart with the alert still firing: no second notice, then one recovery.
  const db2 = new DatabaseSync(`${dir}/gridmon.db`);
  const again = new AlertService({ config: rules(rx.url), db: db2, now: () => now, log: () => {} });
  again.onSample(web, sample(21_000, 96));
  again.onSample(web, sample(22_000, 10));
  await again.idle();
  again.stop();
  await rx.close();
  assert.deepEqual(rx.bodies.map((b) => b.status), ["firing", "resolved"]);
  assert.equal(again.history({ from: 0, to: now + 10_000 })[0].resolvedAt, 22_000);
  db2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failing receiver's final failure is stored with the alert and logged", async () => {
  const dir = await Deno.makeTempDir();
  const rx = receiver(502);
  const logs: string[] = [];
  const db = new DatabaseSync(`${dir}/gridmon.db`);
  const service = new AlertService({
    config: rules(rx.url),
    db,
    log: (m) => logs.push(m),
    delivery: { maxAttempts: 2, baseDelayMs: 10 },
  });
  const t = Date.now();
  service.onSample(web, sample(t - 20_000, 99), t - 20_000);
  service.onSample(web, sample(t, 99), t);
  await service.idle();
  service.stop();
  await rx.close();
  const [record] = service.history({ from: 0, to: t });
  assert.deepEqual(record.deliveries.map((d) => [d.ok, d.attempt, d.final, d.error]), [[
    false,
    2,
    true,
    "HTTP 502 Bad Gateway",
  ]]);
  assert.equal(service.failedDeliveries, 1);
  assert.equal(logs.length, 2);
  assert.match(logs[1], /delivery to hook failed \(attempt 2, giving up\): HTTP 502/);
  db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a silence added at run time keeps a rule quiet until it ends", async () => {
  const dir = await Deno.makeTempDir();
  const rx = receiver();
  let now = 1_000_000;
  const db = new DatabaseSync(`${dir}/gridmon.db`);
  const service = new AlertService({ config: rules(rx.url), db, now: () => now, log: () => {} });
  const silence = service.addSilence({
    rule: "high-cpu",
    machines: "web-*",
    until: now + 60_000,
    comment: "deploy",
  });
  assert.deepEqual(service.silences().map((s) => s.id), [silence.id]);
  for (; now <= 1_050_000; now += 1000) service.onSample(web, sample(now, 99));
  await service.idle();
  assert.equal(rx.bodies.length, 0);
  assert.equal(service.history({ from: 0, to: now })[0].silenced, true);
  now = 1_061_000;
  service.tick(now);
  await service.idle();
  assert.deepEqual(rx.bodies.map((b) => b.status), ["firing"]);
  assert.equal(service.removeSilence(silence.id), true);
  assert.equal(service.removeSilence(silence.id), false);
  service.stop();
  await rx.close();
  db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an anomaly alert firing at shutdown is closed as 'master restarted' by the next start", async () => {
  const dir = await Deno.makeTempDir();
  const rx = receiver();
  const config = parseAlertConfig(`
notifiers:
  hook:
    type: webhook
    url: ${rx.url}
rules:
  - name: odd
    kind: anomaly
`);
  let now = 1_000_000;
  let db = new DatabaseSync(`${dir}/gridmon.db`);
  let service = new AlertService({ config, db, now: () => now, log: () => {} });
  service.onSample(web, sample(now - 500, 20));
  service.onAnomaly(web, {
    id: 1,
    start: now - 400,
    end: null,
    peakScore: 0.8,
    reason: "cpu.usage",
  });
  await service.idle();
  assert.deepEqual(service.activeByMachine(), new Map([["m1", 1]]));
  service.stop();
  db.close();

  now += 9 * 60_000; // nine minutes later, a new master on the same database
  db = new DatabaseSync(`${dir}/gridmon.db`);
  service = new AlertService({
    config,
    db,
    now: () => now,
    log: () => {},
    lastSeen: () => 1_000_000 - 500,
  });
  await service.idle();
  assert.deepEqual(service.active(), []);
  assert.deepEqual(service.activeByMachine(), new Map());
  const [record] = service.history({ from: 0, to: now });
  assert.equal(record.closeReason, "master restarted");
  assert.equal(record.resolvedAt, 1_000_000 - 400, "not before it fired");
  assert.match(record.message, /closed: the master restarted/);
  assert.deepEqual(rx.bodies.map((b) => [b.transition, b.closeReason]), [
    ["firing", null],
    ["resolved", "master restarted"],
  ]);
  service.stop();
  db.close();
  await rx.close();
  await Deno.remove(dir, { recursive: true });
});
