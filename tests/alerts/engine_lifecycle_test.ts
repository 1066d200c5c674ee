/**
 * How alerts end (with a reason) and how they treat late data: the engine on sample time, with
 * the wall clock given apart, as after a back-fill, an outage replay, a restart or a removal.
 */
import assert from "node:assert/strict";
import type { AlertEngine, AlertState } from "../../src/alerts/engine.ts";
import { engineFor } from "./engine_fixture.ts";

const web = { id: "m1", name: "web-1" };
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

const RULES = `
rules:
  - name: hot
    kind: threshold
    metric: cpu.usage
    op: ">"
    value: 90
    for: 1m
    repeat: 10m
  - name: odd
    kind: anomaly
  - name: down
    kind: offline
    for: 2m
`;

const cpu = (value: number) => new Map([["cpu.usage", value]]);

/** Samples every 10 s over [from, to) with `value(t)`, all arriving at `wall(t)`. */
function feed(
  engine: AlertEngine,
  from: number,
  to: number,
  value: (t: number) => number,
  wall: (t: number) => number,
) {
  for (let t = from; t < to; t += 10_000) engine.observeSample(web, cpu(value(t)), t, wall(t));
}

Deno.test("a fault in back-filled data is told once, afterwards, with its own times", () => {
  const { engine, notices, delivered } = engineFor(RULES);
  const arrival = T0 + 60 * MIN + 5000; // the whole hour arrives at once, an hour late
  const hot = (t: number) => t >= T0 + 10 * MIN && t < T0 + 26 * MIN;
  feed(engine, T0, T0 + 60 * MIN, (t) => (hot(t) ? 99 : 20), () => arrival);
  engine.tick(arrival + 1000);
  assert.equal(delivered().length, 1, JSON.stringify(notices.map((n) => n.transition)));
  const [told] = delivered();
  assert.equal(told.transition, "found-late");
  assert.equal(told.alert.foundLate, true);
  assert.equal(told.alert.firedAt, T0 + 11 * MIN, "fired where the condition had held 1m");
  assert.equal(told.alert.resolvedAt, T0 + 26 * MIN);
  assert.equal(told.alert.detectedAt, arrival);
  assert.equal(told.alert.closeReason, "recovered");
  assert.match(
    told.alert.message,
    /^CPU on web-1 was 20 % \(> 90 %\) from 2026-11-21 12:11:00 UTC to 2026-11-21 12:26:00 UTC \(found late/,
  );
  // For the record: fired (not delivered) and the one found-late notice; no repeats.
  assert.deepEqual(notices.map((n) => [n.transition, n.deliver]), [
    ["firing", false],
    ["found-late", true],
  ]);
});

Deno.test("a late alert still holding when the data is current again is announced once then", () => {
  const { engine, delivered } = engineFor(RULES);
  const now = T0 + 60 * MIN;
  // A replay of half an hour, hot from minute 40 on, arriving at `now`: its older part...
  const hot = (t: number) => (t >= T0 + 40 * MIN ? 99 : 20);
  feed(engine, T0 + 30 * MIN, now - 2 * MIN, hot, () => now);
  assert.equal(delivered().length, 0, "not news while the replay is behind");
  // ... then its newest samples and live ones, still hot: current data.
  feed(engine, now - 2 * MIN, now, hot, () => now + 100);
  feed(engine, now, now + 2 * MIN, () => 99, (t) => t + 200);
  assert.deepEqual(delivered().map((n) => n.transition), ["firing"]);
  const [firing] = delivered();
  assert.equal(firing.alert.firedAt, T0 + 41 * MIN);
  assert.match(
    firing.alert.message,
    /is 99 % \(> 90 %\) since 2026-11-21 12:41:00 UTC \(found late/,
  );
  feed(engine, now + 2 * MIN, now + 3 * MIN, () => 10, (t) => t + 200);
  assert.deepEqual(delivered().map((n) => n.transition), ["firing", "resolved"]);
});

Deno.test("repeats follow the wall clock: a replayed hour brings no burst of reminders", () => {
  const { engine, delivered } = engineFor(RULES);
  const now = T0 + 120 * MIN;
  feed(engine, now - 60 * MIN, now, () => 99, () => now); // late, hot all along
  feed(engine, now, now + 60_000, () => 99, (t) => t); // current: announced once
  engine.tick(now + 9 * MIN);
  assert.deepEqual(delivered().map((n) => n.transition), ["firing"]);
  engine.tick(now + 11 * MIN);
  assert.deepEqual(delivered().map((n) => n.transition), ["firing", "repeat"]);
});

Deno.test("an anomaly in back-filled data fires and ends at the event's own times, told once", () => {
  const { engine, delivered } = engineFor(RULES);
  const arrival = T0 + 60 * MIN;
  const event = { id: 3, start: T0 + 20 * MIN, end: null, peakScore: 0.7, reason: "disk.utilPct" };
  feed(engine, T0, T0 + 20 * MIN, () => 20, () => arrival);
  engine.observeAnomaly(web, event, arrival);
  engine.observeAnomaly(web, { ...event, peakScore: 0.9 }, arrival);
  engine.observeAnomaly(web, { ...event, peakScore: 0.9, end: T0 + 25 * MIN }, arrival);
  assert.equal(delivered().length, 1);
  const [told] = delivered();
  assert.equal(told.transition, "found-late");
  assert.equal(told.alert.firedAt, T0 + 20 * MIN);
  assert.equal(told.alert.resolvedAt, T0 + 25 * MIN);
  assert.match(
    told.alert.message,
    /^Anomaly on web-1 from 2026-11-21 12:20:00 UTC to 2026-11-21 12:25:00 UTC: Disk busy \(score 0\.90; found late/,
  );
});

Deno.test("a live anomaly event closed because the machine went offline says so", () => {
  const { engine, delivered } = engineFor(RULES);
  const event = { id: 4, start: T0, end: null, peakScore: 0.8, reason: "net.rxBps" };
  engine.observeSample(web, null, T0, T0 + 500);
  engine.observeAnomaly(web, event, T0 + 1000);
  engine.observeAnomaly(
    web,
    { ...event, end: T0 + 5000, closeReason: "offline" },
    T0 + 9000,
  );
  assert.deepEqual(delivered().map((n) => n.transition), ["firing", "resolved"]);
  const ended = delivered()[1].alert;
  assert.equal(ended.closeReason, "machine offline");
  assert.equal(ended.resolvedAt, T0 + 5000);
  assert.equal(ended.message, "Anomaly on web-1 closed: web-1 went offline (cause: Network in)");
});

Deno.test("a machine offline past the grace ends its other alerts; the offline alert takes over", () => {
  const { engine, delivered } = engineFor(RULES);
  feed(engine, T0, T0 + 2 * MIN, () => 99, (t) => t);
  const event = { id: 5, start: T0 + MIN, end: null, peakScore: 0.8, reason: "cpu.usage" };
  engine.observeAnomaly(web, event, T0 + MIN);
  assert.deepEqual(delivered().map((n) => n.alert.rule).sort(), ["hot", "odd"]);
  const lastSample = T0 + 2 * MIN - 10_000;
  engine.observeStatus(web, false, T0 + 2 * MIN);
  engine.tick(T0 + 3 * MIN);
  assert.equal(delivered().length, 2, "a short absence ends nothing");
  engine.tick(T0 + 4 * MIN);
  const after = delivered().slice(2).map((n) => [n.alert.rule, n.transition, n.alert.closeReason]);
  assert.deepEqual(after.sort(), [
    ["down", "firing", null],
    ["hot", "resolved", "machine offline"],
    ["odd", "resolved", "machine offline"],
  ]);
  const hot = delivered().find((n) => n.alert.rule === "hot" && n.transition === "resolved")!;
  assert.equal(hot.alert.resolvedAt, lastSample, "ends at the last sample seen");
  assert.equal(
    hot.alert.message,
    "CPU on web-1 is no longer known: web-1 went offline (last 99 %)",
  );
  // The event's later updates (the detector has not closed it) fire nothing again.
  engine.observeAnomaly(web, { ...event, peakScore: 0.95 }, T0 + 5 * MIN);
  engine.observeAnomaly(web, { ...event, end: T0 + 6 * MIN }, T0 + 6 * MIN);
  assert.equal(delivered().length, 5);
  assert.deepEqual(engine.active().map((a) => a.rule), ["down"]);
});

Deno.test("after a restart, anomaly alerts end as 'master restarted' at the machine's last sample", () => {
  const first = engineFor(RULES);
  feed(first.engine, T0, T0 + 2 * MIN, () => 99, (t) => t);
  first.engine.observeAnomaly(
    web,
    { id: 6, start: T0, end: null, peakScore: 0.7, reason: "cpu.usage" },
    T0 + 1000,
  );
  const restored: AlertState[] = first.engine.active();
  assert.deepEqual(restored.map((a) => a.rule).sort(), ["hot", "odd"]);
  const second = engineFor(RULES, {
    restore: restored,
    restartedAt: T0 + 9 * MIN,
    lastSeen: () => T0 + 2 * MIN,
  });
  assert.deepEqual(second.notices.map((n) => [n.alert.rule, n.transition, n.deliver]), [
    ["odd", "resolved", true],
  ]);
  const ended = second.notices[0].alert;
  assert.equal(ended.closeReason, "master restarted");
  assert.equal(ended.resolvedAt, T0 + 2 * MIN);
  assert.match(ended.message, /closed: the master restarted/);
  assert.deepEqual(second.engine.active().map((a) => a.rule), ["hot"]);
});

Deno.test("expected offline ends the offline alert and keeps new ones from firing", () => {
  const { engine, delivered } = engineFor(RULES);
  engine.observeStatus(web, false, T0);
  engine.tick(T0 + 3 * MIN);
  assert.deepEqual(delivered().map((n) => n.transition), ["firing"]);
  engine.setExpectedOffline(web.id, true, T0 + 4 * MIN);
  const ended = delivered()[1];
  assert.deepEqual([ended.transition, ended.alert.closeReason], ["resolved", "expected offline"]);
  assert.equal(ended.alert.message, "web-1 is marked as expected to be offline");
  engine.tick(T0 + 60 * MIN);
  assert.equal(delivered().length, 2);
  // Lifted while still offline: the offline delay counts from then.
  engine.setExpectedOffline(web.id, false, T0 + 61 * MIN);
  engine.tick(T0 + 62 * MIN);
  assert.equal(delivered().length, 2);
  engine.tick(T0 + 63 * MIN);
  assert.deepEqual(delivered().map((n) => n.transition), ["firing", "resolved", "firing"]);
});

Deno.test("removing a machine ends its alerts for the record only", () => {
  const { engine, notices, delivered } = engineFor(RULES);
  const db = { id: "m2", name: "db-1" };
  feed(engine, T0, T0 + 2 * MIN, () => 99, (t) => t);
  engine.observeAnomaly(web, { id: 8, start: T0, end: null, peakScore: 0.7, reason: "x" }, T0);
  engine.observeStatus(db, false, T0);
  engine.tick(T0 + 3 * MIN);
  assert.equal(delivered().length, 3);
  engine.forgetMachine(web.id, T0 + 5 * MIN);
  engine.forgetMachine(db.id, T0 + 5 * MIN);
  const removed = notices.filter((n) => n.alert.closeReason === "machine removed");
  assert.deepEqual(removed.map((n) => [n.alert.rule, n.deliver]).sort(), [
    ["down", false],
    ["hot", false],
    ["odd", false],
  ]);
  assert.deepEqual(engine.active(), []);
  engine.tick(T0 + 60 * MIN);
  assert.equal(delivered().length, 3, "nothing new, nothing delivered about the removal");
});

Deno.test("a sample older than one already seen changes nothing", () => {
  const { engine, notices } = engineFor(RULES.replace("for: 1m", "for: 0s"));
  engine.observeSample(web, cpu(99), T0 + 60_000);
  engine.observeSample(web, cpu(10), T0);
  assert.deepEqual(notices.map((n) => n.transition), ["firing"]);
});
