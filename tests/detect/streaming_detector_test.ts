import assert from "node:assert/strict";
import { MachineDetector } from "../../src/detect/machine_detector.ts";
import { Random } from "../../src/detect/random.ts";
import { rangeOf, StreamingDetector } from "../../src/detect/streaming_detector.ts";
import type { EventTransition } from "../../src/detect/streaming_detector.ts";
import { columnStats } from "../../src/detect/history_window.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { syntheticSample, type TestFault } from "./detector_helpers.ts";

const OPTIONS = { intervalMs: 1000, trees: 50 };

function run(fault: TestFault, total = 2300, faultStart = 2000) {
  const rng = new Random(11);
  const detector = new MachineDetector("m1", OPTIONS);
  const transitions: { i: number; t: EventTransition }[] = [];
  for (let i = 0; i < total; i++) {
    const o = detector.observe(syntheticSample(rng, i, fault, faultStart));
    if (o.transition) transitions.push({ i, t: o.transition });
  }
  return { transitions, detector };
}

Deno.test("no verdict during warm-up (but a score), then verdicts with scores in 0..1", () => {
  const rng = new Random(1);
  const detector = new MachineDetector("m1", OPTIONS);
  const warmup = detector.detector.scales.warmup;
  for (let i = 0; i < warmup + 100; i++) {
    const { verdict, score } = detector.observe(syntheticSample(rng, i));
    assert.ok(score >= 0 && score <= 1, `score ${score} at ${i}`);
    if (i < warmup) assert.deepEqual(verdict, { score: null, anomalous: false, reason: null });
    else assert.ok(verdict.score! >= 0 && verdict.score! <= 1, `sample ${i}`);
  }
});

Deno.test("a steady machine with noise opens no event", () => {
  const { transitions } = run(null, 4000);
  assert.deepEqual(transitions, []);
});

Deno.test("an idle machine whose metrics sit constant or barely move never flaps", () => {
  const features = [{ name: "a", floor: 5 }, { name: "b", floor: 1 }, { name: "c", floor: 1 }];
  const detector = new StreamingDetector(features, OPTIONS);
  const rng = new Random(3);
  for (let i = 0; i < 3000; i++) {
    // a: constant; b: noise far below its floor; c: constant but for a rare tiny blip
    const values = [0, 0.01 * rng.nextFloat(), i % 997 === 0 ? 0.2 : 0];
    const { verdict, transition } = detector.observe(i * 1000, values);
    assert.equal(verdict.anomalous, false, `sample ${i}`);
    assert.equal(transition, undefined);
  }
});

for (
  const [fault, metric] of [
    ["cpu", "cpu.usage"],
    ["memleak", "mem.usedPct"],
    ["disk", "disk."],
    ["net", "net.rxBps"],
  ] as const
) {
  Deno.test(`a ${fault} fault opens one event within 10 s naming ${metric}`, () => {
    const { transitions } = run(fault);
    const opened = transitions.filter((x) => x.t.kind === "opened");
    assert.equal(opened.length, 1, JSON.stringify(opened.map((o) => o.i)));
    const { i, t } = opened[0];
    assert.ok(i >= 2000 && i <= 2010, `opened at ${i}`);
    assert.ok(t.event.reason.startsWith(metric), t.event.reason);
    assert.equal(t.event.machineId, "m1");
    assert.equal(t.event.end, null);
    const cause = t.event.causes[0];
    assert.ok(cause.contribution > 0 && cause.contribution <= 1);
    assert.ok(cause.normalLow < cause.normalHigh);
    assert.ok(cause.value > cause.normalHigh, JSON.stringify(cause));
  });
}

Deno.test("a named device is the one leading the summed metric", () => {
  const { transitions } = run("net");
  const cause = transitions.find((x) => x.t.kind === "opened")!.t.event.causes[0];
  assert.equal(cause.metric, "net.rxBps");
  assert.equal(cause.device, "eth0");
});

Deno.test("the score is calibrated: the same stream in other units scores the same", () => {
  // One threshold serves the fleet only if the score does not depend on a metric's units.
  const scores = (scale: number, offset: number) => {
    const rng = new Random(21);
    const detector = new StreamingDetector([{ name: "v", floor: 0 }], OPTIONS);
    const out: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const value = 10 + rng.nextFloat() + (i >= 1200 ? 5 : 0);
      out.push(detector.observe(i * 1000, [offset + scale * value]).score);
    }
    return out;
  };
  const base = scores(1, 0), other = scores(1000, -3000);
  for (let i = 0; i < base.length; i++) {
    assert.ok(Math.abs(base[i] - other[i]) < 0.02, `row ${i}: ${base[i]} vs ${other[i]}`);
  }
  assert.ok(base[1200] > 0.5, `shift scores ${base[1200]}`);
});

Deno.test("the score is calibrated: noise alone stays below the alarm level", () => {
  // Two noise shapes with different tails: heavy-tailed noise must not alarm more often.
  for (const heavy of [false, true]) {
    const rng = new Random(heavy ? 31 : 32);
    const detector = new StreamingDetector([{ name: "v", floor: 0 }], OPTIONS);
    let alarms = 0;
    for (let i = 0; i < 6000; i++) {
      const u = rng.nextFloat();
      const noise = heavy ? -Math.log(1 - u) * (u < 0.5 ? -1 : 1) : u;
      if (detector.observe(i * 1000, [50 + noise]).transition?.kind === "opened") alarms++;
    }
    assert.ok(alarms <= 1, `${heavy ? "heavy" : "uniform"} noise: ${alarms} events`);
  }
});

Deno.test("one onset gives one alarm: the samples after it rest, with damped scores", () => {
  const detector = new StreamingDetector([{ name: "v", floor: 0 }], OPTIONS);
  const rng = new Random(4);
  const { rest } = detector.scales;
  let opened = 0, alarms = 0;
  for (let i = 0; i < 1400; i++) {
    // A burst of five short spikes close together: one onset.
    const spike = i >= 1200 && i < 1240 && i % 8 === 0;
    const o = detector.observe(i * 1000, [10 + rng.nextFloat() + (spike ? 20 : 0)]);
    if (o.transition?.kind === "opened") opened++;
    if (o.score > 0.5) alarms++;
    if (spike && i > 1200) assert.ok(o.score < 0.5, `damped spike at ${i}: ${o.score}`);
  }
  assert.ok(rest > 40);
  assert.equal(opened, 1);
  assert.equal(alarms, 1);
});

Deno.test("an event closes as recovered after the calm period, ending at its last unusual sample", () => {
  const detector = new StreamingDetector([{ name: "v", floor: 0 }], OPTIONS);
  const rng = new Random(5);
  const log: string[] = [];
  let closed: EventTransition | undefined;
  for (let i = 0; i < 1400; i++) {
    const high = i >= 1200 && i < 1210;
    const o = detector.observe(i * 1000, [10 + rng.nextFloat() + (high ? 30 : 0)]);
    if (o.transition) log.push(o.transition.kind);
    if (o.transition?.kind === "closed") closed = o.transition;
  }
  assert.equal(log[0], "opened");
  assert.equal(log.filter((k) => k === "opened").length, 1);
  assert.ok(closed, "closed");
  assert.equal(closed.event.closeReason, "recovered");
  assert.equal(closed.event.start, 1200 * 1000);
  // The end is the last sample still unusual on some time scale: within the recent average's
  // memory (a few `mid` spans) of the last high sample.
  const { mid } = detector.scales;
  const end = closed.event.end! / 1000;
  assert.ok(end >= 1209 && end < 1209 + 5 * mid, `ended at ${end}`);
});

Deno.test("an open event closes with reason offline, once", () => {
  const { detector } = run("cpu", 2020);
  const closed = detector.machineOffline();
  assert.equal(closed?.kind, "closed");
  assert.equal(closed?.event.closeReason, "offline");
  assert.equal(closed?.event.start, syntheticSample(new Random(1), 2000).ts);
  assert.equal(detector.machineOffline(), undefined);
});

Deno.test("a new level is learnt as normal after the adaptation time, and alarms stop", () => {
  const detector = new StreamingDetector([{ name: "v", floor: 0 }], OPTIONS);
  const rng = new Random(6);
  const { adapt, calm } = detector.scales;
  const opened: number[] = [];
  let closedAt = -1;
  const total = 1200 + adapt + 1000;
  for (let i = 0; i < total; i++) {
    const o = detector.observe(i * 1000, [10 + rng.nextFloat() + (i >= 1200 ? 8 : 0)]);
    if (o.transition?.kind === "opened") opened.push(i);
    if (o.transition?.kind === "closed") closedAt = i;
  }
  assert.deepEqual(opened, [1200]);
  assert.ok(closedAt > 1200 + calm && closedAt < total, `closed at ${closedAt}`);
});

Deno.test("the normal range is never degenerate, and stays within the metric's bounds", () => {
  const info = {
    name: "cpu.usage",
    floor: 0.1,
    scale: "headroom" as const,
    bounds: [0, 100] as const,
  };
  const constant = columnStats(new Float32Array(100).fill(0.5), info.floor);
  const range = rangeOf(info, constant);
  assert.ok(range.high > range.low, JSON.stringify(range));
  assert.ok(range.low >= 0 && range.high <= 100);
  const full = columnStats(new Float32Array(100).fill(4.6), info.floor);
  const top = rangeOf(info, full);
  assert.ok(top.high <= 100 && top.high > top.low, JSON.stringify(top));
  // No floor at all: still a width.
  const bare = rangeOf({ name: "x", floor: 0 }, columnStats(new Float32Array(50).fill(7), 0));
  assert.ok(bare.high > bare.low && bare.low <= 7 && bare.high >= 7, JSON.stringify(bare));
});

Deno.test("a cause is only named when outside its own normal range", () => {
  const { transitions } = run("cpu");
  for (const { t } of transitions) {
    for (const cause of t.event.causes) {
      assert.ok(
        cause.value < cause.normalLow || cause.value > cause.normalHigh,
        JSON.stringify(cause),
      );
    }
  }
});

Deno.test("the same samples and seed give the same verdicts", () => {
  const verdicts = () => {
    const rng = new Random(8);
    const detector = new MachineDetector("m1", { ...OPTIONS, seed: 4 });
    return Array.from(
      { length: 1000 },
      (_, i) => detector.observe(syntheticSample(rng, i, "net", 900)).verdict,
    );
  };
  assert.deepEqual(verdicts(), verdicts());
});

Deno.test("warmStart() from stored samples gives verdicts at once, without events", () => {
  const rng = new Random(9);
  const history: Sample[] = Array.from({ length: 1000 }, (_, i) => syntheticSample(rng, i));
  const detector = new MachineDetector("m1", OPTIONS);
  detector.warmStart(history);
  assert.ok(detector.detector.normalRange() !== null);
  const normal = detector.observe(syntheticSample(rng, 1000));
  assert.ok(normal.verdict.score !== null);
  assert.equal(normal.verdict.anomalous, false);
  const fault = detector.observe(syntheticSample(rng, 1001, "cpu", 0));
  assert.equal(fault.verdict.anomalous, true);
  assert.equal(fault.verdict.reason, "cpu.usage");
});

Deno.test("missing metrics (another OS, null first rates) are carried or stay constant", () => {
  const rng = new Random(2);
  const detector = new MachineDetector("m1", OPTIONS);
  for (let i = 0; i < 1000; i++) {
    const sample = syntheticSample(rng, i);
    delete sample.load;
    if (i === 0) sample.disks![0].writeBps = null;
    if (i % 50 === 7) delete sample.net;
    const { verdict } = detector.observe(sample);
    assert.equal(verdict.anomalous, false, `sample ${i}`);
  }
});

Deno.test("StreamingDetector rejects bad options and vectors of the wrong length", () => {
  const features = [{ name: "a", floor: 1 }];
  assert.throws(() => new StreamingDetector([], OPTIONS), RangeError);
  assert.throws(() => new StreamingDetector(features, { intervalMs: 0 }), /interval/);
  assert.throws(() => new StreamingDetector(features, { intervalMs: NaN }), /interval/);
  assert.throws(() => new StreamingDetector(features, { intervalMs: 1000, trees: -1 }), /trees/);
  assert.throws(
    () => new StreamingDetector(features, OPTIONS).observe(0, [1, 2]),
    /expected 1 values/,
  );
});
