import assert from "node:assert/strict";
import type { z } from "zod";
import { LIMITS } from "../../src/protocol/limits.ts";
import { HelloSchema, SamplesSchema, WorkerFrameSchema } from "../../src/protocol/messages.ts";
import { checkWorkerFrame } from "../../src/protocol/validate.ts";
import { createRandom } from "../../src/simulate/random.ts";
import { createMachineModel } from "../../src/simulate/machine_model.ts";

type Rec = Record<string, unknown>;

/**
 * Asserts that the generated checks (frame_checks.generated.js, through checkWorkerFrame) and the
 * zod `schema` they were compiled from agree on `data` as JSON.parse would deliver it: same
 * verdict and, for a valid frame, the same output (unknown keys gone).
 */
function assertSame(data: unknown, schema: z.ZodType, label: string) {
  const text = JSON.stringify(data);
  const theirs = schema.safeParse(text === undefined ? undefined : JSON.parse(text));
  const ours = checkWorkerFrame(text === undefined ? undefined : JSON.parse(text));
  const what = () => `${label}: ${text?.slice(0, 300)}\nours: ${JSON.stringify(ours)}`;
  if (ours.ok !== theirs.success) assert.fail(`verdicts differ: ${what()}`);
  if (ours.ok && theirs.success) assert.deepEqual(ours.frame, theirs.data, label);
  return ours;
}

function generator(seed: number) {
  const random = createRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const chance = (p: number) => random() < p;
  const word = (max = 12) => "abcdefghij/-_.é€".slice(0, 1 + int(Math.min(max, 15)));
  const pct = () => pick([0, 100, 12.5, random() * 100]);
  const size = () => pick([0, 4096, 8e9, random() * 1e12]);
  const rate = () => (chance(0.1) ? null : size());
  const maybe = (p: number, value: () => unknown) => (chance(p) ? value() : undefined);
  const drop = (o: Rec) => {
    for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
    return o;
  };
  const list = <T>(n: number, item: () => T) => Array.from({ length: int(n + 1) }, item);
  const pressureLine = () =>
    drop({
      some10: pct(),
      some60: pct(),
      some300: pct(),
      full10: maybe(0.5, pct),
      full60: maybe(0.5, pct),
      full300: maybe(0.5, pct),
    });

  /** A valid sample using every optional part at random. */
  function sample(): Rec {
    return drop({
      ts: pick([0, 1763700000000, int(2 ** 40), Number.MAX_SAFE_INTEGER]),
      seq: int(1e6),
      machineId: pick(["m", "x".repeat(LIMITS.maxIdLength), word()]),
      hostname: pick(["", "h".repeat(LIMITS.maxStringLength), word()]),
      cpu: maybe(0.9, () =>
        drop({
          usage: chance(0.1) ? null : pct(),
          user: chance(0.1) ? null : pct(),
          system: chance(0.1) ? null : pct(),
          iowait: maybe(0.5, pct),
          steal: maybe(0.5, () => (chance(0.2) ? null : pct())),
          nice: maybe(0.3, pct),
          irq: maybe(0.3, pct),
          softirq: maybe(0.3, pct),
          idle: maybe(0.3, pct),
          cores: maybe(0.7, () => list(8, () => (chance(0.05) ? null : pct()))),
        })),
      mem: maybe(0.9, () =>
        drop({
          total: size(),
          used: size(),
          available: size(),
          free: maybe(0.5, size),
          cached: maybe(0.5, size),
          buffers: maybe(0.5, size),
          usedPct: pct(),
          swapTotal: size(),
          swapUsed: size(),
        })),
      load: maybe(0.8, () => ({ "1": random() * 8, "5": random() * 4, "15": 0 })),
      disks: maybe(0.7, () =>
        list(3, () => ({
          name: word(),
          readBps: rate(),
          writeBps: rate(),
          readIops: rate(),
          writeIops: rate(),
          utilPct: chance(0.1) ? null : pct(),
        }))),
      filesystems: maybe(0.7, () =>
        list(3, () =>
          drop({
            mount: word(),
            fstype: word(),
            device: maybe(0.5, word),
            size: size(),
            used: size(),
            free: maybe(0.5, size),
            usedPct: pct(),
          }))),
      net: maybe(0.7, () =>
        list(3, () =>
          drop({
            iface: word(),
            rxBps: rate(),
            txBps: rate(),
            rxPps: rate(),
            txPps: rate(),
            rxErrors: rate(),
            txErrors: rate(),
            rxDrops: maybe(0.5, rate),
            txDrops: maybe(0.5, rate),
          }))),
      pressure: maybe(0.4, () =>
        drop({
          cpu: maybe(0.7, pressureLine),
          memory: maybe(0.7, pressureLine),
          io: maybe(0.7, pressureLine),
        })),
      temps: maybe(
        0.4,
        () =>
          list(3, () => ({
            sensor: word(),
            label: word(),
            celsius: pick([-273.15, 1000, 45.5]),
          })),
      ),
      uptime: maybe(0.8, size),
      procs: maybe(0.8, () => int(1000)),
      procsRunning: maybe(0.5, () => int(50)),
    });
  }

  function hello(): Rec {
    return drop({
      type: "hello",
      v: 1,
      token: pick(["", "t".repeat(LIMITS.maxTokenLength), word()]),
      machineId: pick(["m", "x".repeat(LIMITS.maxIdLength)]),
      hostname: word(),
      name: maybe(0.5, word),
      os: "linux",
      osName: maybe(0.5, word),
      kernel: maybe(0.5, word),
      arch: "x86_64",
      cores: pick([0, 2, 1_000_000]),
      memTotal: size(),
      agentVersion: word(),
      intervalMs: pick([1, 1000]),
    });
  }

  const BAD: (() => unknown)[] = [
    () => "12",
    () => "",
    () => NaN,
    () => Infinity,
    () => -Infinity,
    () => -1,
    () => -0.001,
    () => 100.5,
    () => 101,
    () => 1.5,
    () => 1e20,
    () => -1e20,
    () => 2 ** 53,
    () => -273.16,
    () => 1000.01,
    () => -0,
    () => 0,
    () => 1_000_001,
    () => null,
    () => undefined,
    () => true,
    () => [],
    () => [1, 2],
    () => ({}),
    () => ({ nested: null }),
    () => "s".repeat(LIMITS.maxStringLength + 1),
    () => "s".repeat(LIMITS.maxIdLength + 1),
    () => "s".repeat(LIMITS.maxTokenLength),
    () => new Array(LIMITS.maxArrayLength + 1).fill(1),
    () => new Array(LIMITS.maxArrayLength).fill(null),
    () => [null],
    () => ["x"],
    () => [{}],
    () => "samples",
    () => "hello",
    () => 2,
  ];

  /** Every [parent, key] inside `value`, for picking a place to break. */
  function places(value: unknown, out: [Rec | unknown[], string | number][] = []) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        out.push([value, i]);
        places(item, out);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const key of Object.keys(value)) {
        out.push([value as Rec, key]);
        places((value as Rec)[key], out);
      }
    }
    return out;
  }

  /** Breaks `frame` in one to three places (or leaves it valid). */
  function mutate(frame: Rec, known: readonly string[]): Rec {
    const n = int(4);
    for (let i = 0; i < n; i++) {
      const all = places(frame);
      const [parent, key] = all.length ? pick(all) : [frame, "type"];
      const kind = int(10);
      if (kind === 0 && !Array.isArray(parent)) {
        delete (parent as Rec)[key];
      } else if (kind === 1 && !Array.isArray(parent)) {
        (parent as Rec)[pick(["extra", "__proto__", "constructor", ...known])] = pick(BAD)();
      } else if (kind === 2) {
        const inner = (parent as Rec)[key as string];
        if (Array.isArray(inner)) {
          inner.push(chance(0.5) ? structuredClone(inner[0]) : pick(BAD)());
        } else if (typeof inner === "object" && inner !== null) {
          (inner as Rec)[pick(["extra", "1", "type"])] = pick(BAD)();
        }
      } else {
        (parent as Rec)[key as string] = pick(BAD)();
      }
    }
    return frame;
  }

  return { int, chance, pick, sample, hello, mutate };
}

const ALL_KEYS = ["ts", "seq", "cpu", "usage", "cores", "mem", "load", "disks", "samples", "v"];

Deno.test("the generated checks agree with SamplesSchema on generated and broken frames", () => {
  const g = generator(1);
  let valid = 0;
  for (let i = 0; i < 4000; i++) {
    const samples = Array.from({ length: 1 + g.int(3) }, () => g.sample());
    const frame: Rec = { type: "samples", v: g.pick([1, 1, 1, 2]), samples };
    if (g.chance(0.3)) frame.dropped = g.int(100);
    const data = i % 5 === 0 ? frame : g.mutate(frame, ALL_KEYS);
    if (assertSame(data, SamplesSchema, `case ${i}`).ok) valid++;
    assertSame(data, WorkerFrameSchema, `union case ${i}`);
  }
  assert.ok(valid > 800 && valid < 3200, `${valid} valid of 4000: the mix needs both kinds`);
});

Deno.test("the generated checks agree with HelloSchema on generated and broken frames", () => {
  const g = generator(2);
  const keys = Object.keys(HelloSchema.shape);
  for (let i = 0; i < 3000; i++) {
    const data = i % 5 === 0 ? g.hello() : g.mutate(g.hello(), keys);
    assertSame(data, HelloSchema, `case ${i}`);
    assertSame(data, WorkerFrameSchema, `union case ${i}`);
  }
});

Deno.test("the generated checks agree with SamplesSchema on simulated machines", () => {
  const g = generator(3);
  for (let m = 0; m < 40; m++) {
    const model = createMachineModel("validator", m);
    const samples = Array.from(
      { length: 20 },
      (_, i) => model.sampleAt(1763700000000 + i * 1000, i),
    );
    const frame = { type: "samples", v: 1, samples };
    assertSame(frame, SamplesSchema, `machine ${m}`);
    const text = JSON.stringify(frame);
    assertSame(JSON.parse(text), SamplesSchema, `machine ${m} as JSON`);
    for (let i = 0; i < 20; i++) {
      assertSame(g.mutate(JSON.parse(text), ALL_KEYS), SamplesSchema, `m${m} ${i}`);
    }
  }
});

Deno.test("the generated checks agree with WorkerFrameSchema on odd values", () => {
  const g = generator(4);
  const sample = () => g.sample();
  const odd: unknown[] = [
    null,
    42,
    "samples",
    [],
    {},
    { type: "x" },
    { type: 1 },
    { type: null, v: 1 },
    { type: "samples", v: 1, samples: [] },
    { type: "samples", v: 1, samples: new Array(LIMITS.maxSamplesPerFrame + 1).fill(1) },
    { type: "samples", v: 1, samples: new Array(LIMITS.maxSamplesPerFrame).fill(sample()) },
    { type: "samples", v: 1, samples: [sample()], dropped: 1.5 },
    { type: "samples", v: 1, samples: [{ ...sample(), cpu: undefined }] },
    { type: "samples", v: 1, samples: [{ ...sample(), uptime: undefined }] },
    { type: "samples", v: 1, samples: [Object.assign(Object.create(null), sample())] },
    { type: "samples", v: 1, samples: [new Date(0)] },
    { type: "samples", v: 1, samples: [{ ...sample(), ts: new Date(0) }] },
    { type: "samples", v: 1, samples: [{ ...sample(), hostname: Symbol("h") }] },
    Object.assign(Object.create({ extra: 1 }), { type: "samples", v: 1, samples: [sample()] }),
    { type: "hello", v: 1 },
  ];
  for (const [i, data] of odd.entries()) assertSame(data, WorkerFrameSchema, `odd ${i}`);
});

Deno.test("unknown keys are removed from the parsed frame", () => {
  const g = generator(5);
  const extra = {
    type: "samples",
    v: 1,
    samples: [{ ...g.sample(), cpu: { usage: 1, user: 1, system: 1, x: 1 }, y: [1] }],
    z: "z",
  };
  const checked = checkWorkerFrame(JSON.parse(JSON.stringify(extra)));
  assert.ok(checked.ok && checked.frame.type === "samples");
  assert.equal("z" in checked.frame, false);
  assert.equal("y" in checked.frame.samples[0], false);
  assert.deepEqual(checked.frame.samples[0].cpu, { usage: 1, user: 1, system: 1 });
});
