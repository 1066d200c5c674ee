import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { activeFault, type FaultContext } from "../../src/simulate/faults.ts";
import { parseFaultSpec } from "../../src/cli/fault_spec.ts";
import {
  baseSample,
  createMachineModel,
  machineIdFor,
  machineProfile,
} from "../../src/simulate/machine_model.ts";
import { faultProcess } from "../../src/simulate/process_model.ts";

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const CTX: FaultContext = {
  seed: "1",
  namePrefix: "sim",
  workers: 20,
  startMs: T0,
  durationMs: 3_600_000,
};

function modelWith(spec: string, index: number) {
  const faults = parseFaultSpec(spec, CTX);
  return { model: createMachineModel("1", index, { faults }), fault: faults[0] };
}

Deno.test("parseFaultSpec() reads kind, offset, length and a machine name or index", () => {
  const faults = parseFaultSpec("memleak@5m+3m:10, cpu@120s+60s:sim-0003", CTX);
  assert.deepEqual(faults, [
    {
      kind: "cpu",
      machineId: machineIdFor("1", "sim", 3),
      name: "sim-0003",
      process: faultProcess("cpu", machineProfile("1", 3).role),
      start: T0 + 120_000,
      end: T0 + 180_000,
    },
    {
      kind: "memleak",
      machineId: machineIdFor("1", "sim", 10),
      name: "sim-0010",
      process: faultProcess("memleak", machineProfile("1", 10).role),
      start: T0 + 300_000,
      end: T0 + 480_000,
    },
  ]);
});

Deno.test("parseFaultSpec() random:K picks K distinct machines reproducibly, inside the run", () => {
  const a = parseFaultSpec("random:8", CTX);
  assert.deepEqual(a, parseFaultSpec("random:8", CTX));
  assert.notDeepEqual(a, parseFaultSpec("random:8", { ...CTX, seed: "2" }));
  assert.equal(new Set(a.map((f) => f.machineId)).size, 8);
  assert.deepEqual(new Set(a.map((f) => f.kind)), new Set(["cpu", "memleak", "disk", "net"]));
  for (const f of a) {
    assert.ok(f.start >= T0 + 0.1 * 3_600_000 && f.end <= T0 + 0.95 * 3_600_000, JSON.stringify(f));
    assert.ok(f.end - f.start >= 0.1 * 3_600_000 - 1000);
  }
});

Deno.test("parseFaultSpec() refuses bad specs with one clear line", () => {
  const cases: [string, RegExp, Partial<FaultContext>?][] = [
    ["", /the spec is empty/],
    ["cpu@1s+1s:1,,disk@1s+1s:2", /empty entry/],
    ["cpu:sim-0001", /not KIND@OFFSET\+LENGTH:MACHINE or random:K/],
    ["fire@1s+1s:1", /unknown fault kind "fire".*cpu, memleak, disk, net/],
    ["cpu@soon+1s:1", /--faults: "soon" is not a duration/],
    ["cpu@1s+0s:1", /must last longer than 0/],
    ["cpu@2h+1m:1", /starts after the simulation ends/],
    ["cpu@1s+1s:sim-0020", /machine "sim-0020" does not exist \(machines are sim-0000 to sim-0019/],
    ["cpu@1s+1s:web-0001", /machine "web-0001" does not exist/],
    ["random:0", /needs a whole number of faults >= 1/],
    ["random:x", /needs a whole number/],
    ["random:21", /more faults than the 20 machines/],
    ["random:2", /random:K needs --duration or a --start in the past/, { durationMs: undefined }],
    ["random:2", /a --duration \(or a --start in the past\) of 60s or more/, {
      durationMs: 30_000,
    }],
  ];
  for (const [spec, message, ctx] of cases) {
    assert.throws(() => parseFaultSpec(spec, { ...CTX, ...ctx }), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${spec}: ${error}`);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
});

Deno.test("a cpu fault saturates every core during its window only and raises the load", () => {
  const { model, fault } = modelWith("cpu@10m+5m:3", 3);
  const cores = model.profile.cores;
  for (let ts = fault.start; ts < fault.end; ts += 1000) {
    const s = model.sampleAt(ts);
    assert.ok(s.cpu!.usage! >= 97 && s.cpu!.usage! <= 100, `usage ${s.cpu!.usage} at ${ts}`);
    assert.ok(s.cpu!.cores!.every((c) => c !== null && c >= 94));
  }
  const before = model.sampleAt(fault.start - 1000);
  const atEnd = model.sampleAt(fault.end - 1000);
  assert.ok(
    atEnd.load!["1"] > before.load!["1"] + cores,
    `${before.load!["1"]} -> ${atEnd.load!["1"]}`,
  );
  const after = model.sampleAt(fault.end + 60_000);
  assert.deepEqual(after.cpu, baseSample(model.profile, fault.end + 60_000).cpu);
  const clean = createMachineModel("1", 3);
  assert.deepEqual(before, clean.sampleAt(fault.start - 1000), "untouched before it starts");
  const { processCounts: _, processes: __, ...metrics } = before;
  assert.deepEqual(metrics, baseSample(model.profile, fault.start - 1000));
});

Deno.test("a memory leak ramps used memory up steadily, then spills into swap", () => {
  // find a machine with swap so the spill can be seen
  let index = 0;
  while (createMachineModel("1", index).profile.swapTotal === 0) index++;
  const { model, fault } = modelWith(`memleak@10m+10m:${index}`, index);
  const pcts: number[] = [];
  for (let ts = fault.start; ts < fault.end; ts += 30_000) {
    pcts.push(model.sampleAt(ts).mem!.usedPct);
  }
  for (let i = 1; i < pcts.length; i++) assert.ok(pcts[i] >= pcts[i - 1] - 0.5, `${pcts}`);
  assert.ok(pcts.at(-1)! >= 96, `ends at ${pcts.at(-1)}`);
  const early = model.sampleAt(fault.start + 60_000).mem!;
  const late = model.sampleAt(fault.end - 1000).mem!;
  const clean = baseSample(model.profile, fault.end - 1000).mem!;
  assert.ok(late.swapUsed > clean.swapUsed, "swap grows late in the leak");
  assert.equal(early.swapUsed, baseSample(model.profile, fault.start + 60_000).mem!.swapUsed);
  assert.deepEqual(model.sampleAt(fault.end).mem, baseSample(model.profile, fault.end).mem);
  assert.ok(SampleSchema.safeParse(model.sampleAt(fault.end - 1000)).success);
});

Deno.test("a disk fault multiplies writes by 50-100, pins util and raises iowait", () => {
  const { model, fault } = modelWith("disk@10m+2m:5", 5);
  for (let ts = fault.start; ts < fault.end; ts += 5000) {
    const s = model.sampleAt(ts);
    const clean = baseSample(model.profile, ts);
    for (let d = 0; d < s.disks!.length; d++) {
      const ratio = s.disks![d].writeBps! / clean.disks![d].writeBps!;
      assert.ok(ratio >= 49.9 && ratio <= 100.1, `ratio ${ratio}`);
      assert.ok(s.disks![d].utilPct! >= 85);
    }
    assert.ok(s.cpu!.iowait! >= Math.min(clean.cpu!.iowait! + 15, 100 - s.cpu!.usage!) - 0.01);
  }
  const dataAfter = model.sampleAt(fault.end + 1000).filesystems![1];
  const dataClean = baseSample(model.profile, fault.end + 1000).filesystems![1];
  assert.ok(dataAfter.used > dataClean.used, "/data keeps what the burst wrote");
  assert.deepEqual(model.sampleAt(fault.end).disks, baseSample(model.profile, fault.end).disks);
});

Deno.test("a net fault multiplies rx/tx bytes by 50-100 and packets more", () => {
  const { model, fault } = modelWith("net@10m+2m:6", 6);
  for (let ts = fault.start; ts < fault.end; ts += 5000) {
    const s = model.sampleAt(ts).net![0];
    const clean = baseSample(model.profile, ts).net![0];
    for (const key of ["rxBps", "txBps"] as const) {
      const ratio = s[key]! / clean[key]!;
      assert.ok(ratio >= 49.9 && ratio <= 100.1, `${key} ratio ${ratio}`);
    }
    assert.ok(s.rxPps! >= clean.rxPps! * 70);
  }
  assert.deepEqual(model.sampleAt(fault.end).net, baseSample(model.profile, fault.end).net);
});

Deno.test("faults of other machines leave a model untouched", () => {
  const faults = parseFaultSpec("cpu@0s+1h:1,memleak@0s+1h:1,disk@0s+1h:1,net@0s+1h:1", CTX);
  const model = createMachineModel("1", 2, { faults });
  assert.equal(model.faults.length, 0);
  assert.deepEqual(model.sampleAt(T0 + 600_000), createMachineModel("1", 2).sampleAt(T0 + 600_000));
  const hit = createMachineModel("1", 1, { faults });
  assert.equal(hit.faults.length, 4);
  assert.ok(SampleSchema.safeParse(hit.sampleAt(T0 + 1_800_000)).success);
});

Deno.test("activeFault() labels exactly the samples inside a fault's window", () => {
  const faults = parseFaultSpec("cpu@1m+1m:1,net@5m+1m:2", CTX);
  const id = machineIdFor("1", "sim", 1);
  assert.equal(activeFault(faults, id, T0 + 59_999), undefined);
  assert.equal(activeFault(faults, id, T0 + 60_000)?.kind, "cpu");
  assert.equal(activeFault(faults, id, T0 + 119_999)?.kind, "cpu");
  assert.equal(activeFault(faults, id, T0 + 120_000), undefined);
  assert.equal(activeFault(faults, machineIdFor("1", "sim", 2), T0 + 60_000), undefined);
});
