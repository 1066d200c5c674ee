import assert from "node:assert/strict";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { HelloSchema } from "../../src/protocol/messages.ts";
import {
  createMachineModel,
  dailyCycle,
  machineIdFor,
  machineName,
} from "../../src/simulate/machine_model.ts";

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const GIB = 1024 ** 3;

Deno.test("createMachineModel() gives identical samples for the same seed and index", () => {
  const a = createMachineModel(42, 7);
  const b = createMachineModel("42", 7);
  for (let k = 0; k < 50; k++) {
    const ts = T0 + k * 61_000;
    assert.deepEqual(a.sampleAt(ts, k), b.sampleAt(ts, k));
  }
  assert.deepEqual(a.profile, b.profile);
});

Deno.test("createMachineModel() differs between seeds and between indices", () => {
  const a = createMachineModel(1, 0).sampleAt(T0);
  const b = createMachineModel(2, 0).sampleAt(T0);
  const c = createMachineModel(1, 1).sampleAt(T0);
  assert.notEqual(a.machineId, b.machineId);
  assert.notEqual(a.machineId, c.machineId);
  assert.notDeepEqual(a.cpu, b.cpu);
});

Deno.test("machine ids are stable 32-hex ids and names count from prefix-0000", () => {
  assert.match(machineIdFor("1", "sim", 3), /^[0-9a-f]{32}$/);
  assert.equal(machineIdFor("1", "sim", 3), machineIdFor("1", "sim", 3));
  assert.notEqual(machineIdFor("1", "sim", 3), machineIdFor("1", "lab", 3));
  assert.equal(machineName("sim", 3), "sim-0003");
  const ids = new Set(Array.from({ length: 2000 }, (_, i) => machineIdFor("1", "sim", i)));
  assert.equal(ids.size, 2000);
});

Deno.test("every sample of 60 machines over a day validates against SampleSchema", () => {
  for (let i = 0; i < 60; i++) {
    const model = createMachineModel(9, i);
    for (let ts = T0; ts < T0 + 86_400_000; ts += 7 * 60_000 + 13) {
      const result = SampleSchema.safeParse(model.sampleAt(ts, 1));
      assert.ok(result.success, `machine ${i} at ${ts}: ${JSON.stringify(result.error?.issues)}`);
    }
    assert.ok(HelloSchema.safeParse(model.hello("secret-token", 1000)).success);
  }
});

Deno.test("profiles span the roles, 2-64 cores, 2-256 GiB, nvme/sda disks, / and /data", () => {
  const roles = new Set<string>();
  const diskNames = new Set<string>();
  const ifaces = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const model = createMachineModel(5, i);
    const { profile } = model;
    roles.add(profile.role);
    assert.ok(profile.cores >= 2 && profile.cores <= 64, `cores ${profile.cores}`);
    assert.ok(profile.memTotal >= 2 * GIB && profile.memTotal <= 256 * GIB);
    const sample = model.sampleAt(T0);
    assert.equal(sample.cpu?.cores?.length, profile.cores);
    assert.equal(sample.mem?.total, profile.memTotal);
    for (const d of sample.disks ?? []) diskNames.add(d.name.replace(/\d+n1$|[ab]$/, ""));
    for (const n of sample.net ?? []) ifaces.add(n.iface);
    assert.deepEqual(sample.filesystems?.map((f) => f.mount), ["/", "/data"]);
  }
  assert.deepEqual([...roles].sort(), ["batch", "db", "web"]);
  assert.deepEqual([...diskNames].sort(), ["nvme", "sd"]);
  assert.deepEqual([...ifaces].sort(), ["ens3", "eth0"]);
});

Deno.test("CPU follows the daily cycle: busier at the machine's peak hour than 12 hours later", () => {
  for (let i = 0; i < 20; i++) {
    const model = createMachineModel(3, i);
    const peak = T0 + model.profile.peakHour * 3_600_000;
    assert.ok(dailyCycle(model.profile, peak) > 0.99);
    const mean = (from: number) => {
      let sum = 0;
      for (let k = 0; k < 60; k++) sum += model.sampleAt(from + k * 60_000).cpu!.usage!;
      return sum / 60;
    };
    assert.ok(mean(peak - 1_800_000) > mean(peak + 12 * 3_600_000 - 1_800_000) + 5, `machine ${i}`);
  }
});

Deno.test("uptime grows with time and load follows CPU", () => {
  const model = createMachineModel(11, 4);
  const xs: number[] = [];
  const ys: number[] = [];
  let uptime = -1;
  for (let ts = T0; ts < T0 + 86_400_000; ts += 300_000) {
    const s = model.sampleAt(ts);
    if (uptime >= 0 && s.uptime! > uptime) assert.equal(s.uptime! - uptime, 300);
    uptime = s.uptime!;
    xs.push(s.cpu!.usage!);
    ys.push(s.load!["5"]);
  }
  assert.ok(correlation(xs, ys) > 0.8, `correlation ${correlation(xs, ys)}`);
});

Deno.test("samples carry bursts: some minutes of a day stand well above their neighbours", () => {
  let bursts = 0;
  for (let i = 0; i < 10; i++) {
    const model = createMachineModel(21, i);
    const base = createMachineModel(21, i).profile;
    for (let ts = T0; ts < T0 + 86_400_000; ts += 20_000) {
      const cpu = model.sampleAt(ts).cpu!.usage!;
      const trend = base.cpuBase + base.cpuAmp * dailyCycle(base, ts);
      if (cpu > trend + 10 + 3 * base.cpuNoise) bursts++;
    }
  }
  assert.ok(bursts > 10, `only ${bursts} burst samples`);
});

function correlation(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b) / n;
  const my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
