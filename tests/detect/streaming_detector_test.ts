import assert from "node:assert/strict";
import { MACHINE_WINDOW, MachineDetector } from "../../src/detect/machine_detector.ts";
import { Random } from "../../src/detect/random.ts";
import { StreamingDetector } from "../../src/detect/streaming_detector.ts";
import type { EventTransition } from "../../src/detect/streaming_detector.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { syntheticSample, type TestFault } from "./detector_helpers.ts";

const OPTIONS = { warmup: 120, window: 1200, refitEvery: 300, trees: 50 };

function run(fault: TestFault, total = 1400, faultStart = 1200) {
  const rng = new Random(11);
  const detector = new MachineDetector("m1", OPTIONS);
  const transitions: { i: number; t: EventTransition }[] = [];
  const anomalous: number[] = [];
  for (let i = 0; i < total; i++) {
    const o = detector.observe(syntheticSample(rng, i, fault, faultStart));
    if (o.verdict.anomalous) anomalous.push(i);
    if (o.transition) transitions.push({ i, t: o.transition });
  }
  return { transitions, anomalous };
}

Deno.test("no verdict during warm-up, then scores in 0..1", () => {
  const rng = new Random(1);
  const detector = new MachineDetector("m1", OPTIONS);
  for (let i = 0; i < 200; i++) {
    const { verdict } = detector.observe(syntheticSample(rng, i));
    if (i < 119) assert.deepEqual(verdict, { score: null, anomalous: false, reason: null });
    if (i >= 120) assert.ok(verdict.score! > 0 && verdict.score! < 1);
  }
});

Deno.test("a steady machine with noise opens no event", () => {
  const { transitions } = run(null, 3000);
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
    ["memleak", "mem."],
    ["disk", "disk."],
    ["net", "net."],
  ] as const
) {
  Deno.test(`a ${fault} fault opens one event within 10 s naming ${metric}`, () => {
    const { transitions } = run(fault);
    const opened = transitions.filter((x) => x.t.kind === "opened");
    assert.equal(opened.length, 1);
    const { i, t } = opened[0];
    assert.ok(i >= 1200 && i <= 1210, `opened at ${i}`);
    assert.ok(t.event.reason.startsWith(metric), t.event.reason);
    assert.equal(t.event.machineId, "m1");
    assert.equal(t.event.end, null);
    const cause = t.event.causes[0];
    assert.ok(cause.contribution > 0 && cause.contribution <= 1);
    assert.ok(cause.normalLow <= cause.normalHigh);
    assert.ok(cause.value > cause.normalHigh, JSON.stringify(cause));
  });
}

Deno.test("an event opens after 3 anomalous samples in a row and closes after 10 normal", () => {
  const rng = new Random(5);
  const detector = new MachineDetector("m1", OPTIONS);
  const spikes = new Set([1000, 1001, 1100, 1101, 1102, 1103]);
  const log: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const sample = syntheticSample(
      rng,
      i,
      spikes.has(i) ? "cpu" : null,
      spikes.has(i) ? 0 : Infinity,
    );
    const { verdict, transition } = detector.observe(sample);
    if (spikes.has(i)) assert.ok(verdict.anomalous, `spike ${i}`);
    if (transition) log.push(`${transition.kind}@${i}`);
    if (transition?.kind === "closed") {
      assert.equal(transition.event.start, sample.ts - 1000 * (i - 1100));
      assert.equal(transition.event.end, sample.ts - 1000 * (i - 1103));
    }
  }
  // Two spikes in a row open nothing; four open at the third and close ten samples later.
  assert.deepEqual(log.filter((l) => !l.startsWith("updated")), ["opened@1102", "closed@1113"]);
});

Deno.test("the same samples and seed give the same verdicts", () => {
  const verdicts = () => {
    const rng = new Random(8);
    const detector = new MachineDetector("m1", { ...OPTIONS, seed: 4 });
    return Array.from(
      { length: 800 },
      (_, i) => detector.observe(syntheticSample(rng, i, "net", 700)).verdict,
    );
  };
  assert.deepEqual(verdicts(), verdicts());
});

Deno.test("warmStart() from stored samples gives verdicts at once, without events", () => {
  const rng = new Random(9);
  const history: Sample[] = Array.from({ length: 600 }, (_, i) => syntheticSample(rng, i));
  const detector = new MachineDetector("m1", OPTIONS);
  assert.equal(detector.historyWanted, 1200 * MACHINE_WINDOW.stride);
  detector.warmStart(history);
  assert.ok(detector.detector.threshold !== null);
  const normal = detector.observe(syntheticSample(rng, 600));
  assert.ok(normal.verdict.score !== null);
  assert.equal(normal.verdict.anomalous, false);
  const fault = detector.observe(syntheticSample(rng, 601, "cpu", 0));
  assert.equal(fault.verdict.anomalous, true);
  assert.equal(fault.verdict.reason, "cpu.usage");
});

Deno.test("missing metrics (another OS, null first rates) are carried or stay constant", () => {
  const rng = new Random(2);
  const detector = new MachineDetector("m1", OPTIONS);
  for (let i = 0; i < 600; i++) {
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
  assert.throws(() => new StreamingDetector([], {}), RangeError);
  assert.throws(() => new StreamingDetector(features, { warmup: 1 }), /warmup/);
  assert.throws(() => new StreamingDetector(features, { window: 10, warmup: 20 }), /warmup/);
  assert.throws(() => new StreamingDetector(features, { stride: 0 }), /stride/);
  assert.throws(() => new StreamingDetector(features, { quantile: 2 }), /quantile/);
  assert.throws(() => new StreamingDetector(features).observe(0, [1, 2]), /expected 1 values/);
});

Deno.test("a machine's window spans 4 h at 1 s, as the detector's default 3,600 × 4 does", () => {
  assert.equal(new MachineDetector("m1").historyWanted, 3600 * 4);
  assert.equal(new MachineDetector("m1", { window: undefined }).historyWanted, 3600 * 4);
  assert.equal(new StreamingDetector([{ name: "a", floor: 1 }]).historyWanted, 3600 * 4);
});

Deno.test("the window holds 2-byte codes when every feature has a floor, 8 bytes otherwise", () => {
  const floored = [{ name: "a", floor: 1 }, { name: "b", floor: 2 }];
  assert.equal(new StreamingDetector(floored, { window: 500 }).byteLength, 500 * 2 * 2);
  const free = [{ name: "a", floor: 1 }, { name: "b", floor: 0 }];
  assert.equal(new StreamingDetector(free, { window: 500 }).byteLength, 500 * 2 * 8);
});

Deno.test("codes past the Int16 range are clamped in the window, not wrapped", () => {
  const features = [{ name: "a", floor: 4 }, { name: "b", floor: 4 }];
  const detector = new StreamingDetector(features, { warmup: 20, window: 100, trees: 10 });
  // 1e6 in steps of 4 / 4 is far past 32,767: wrapped, it would read back as a small number.
  for (let i = 0; i < 40; i++) detector.learn([i % 2 === 0 ? 1e6 : -1e6, i % 3]);
  detector.refit();
  const [a] = detector.normalRange()!;
  assert.deepEqual([a.low, a.high], [-32767, 32767]);
});
