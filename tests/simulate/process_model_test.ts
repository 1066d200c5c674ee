import assert from "node:assert/strict";
import { SampleSchema } from "../../src/protocol/sample.ts";
import type { ProcessEntry } from "../../src/protocol/processes.ts";
import { FAULT_KINDS } from "../../src/simulate/faults.ts";
import { parseFaultSpec } from "../../src/cli/fault_spec.ts";
import { createMachineModel } from "../../src/simulate/machine_model.ts";
import { faultPid } from "../../src/simulate/process_model.ts";

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const CTX = { seed: "7", namePrefix: "sim", workers: 12, startMs: T0, durationMs: 3_600_000 };

Deno.test("simulated machines scan processes every 5 s, their CPU adding up to the machine's", () => {
  for (let index = 0; index < 12; index++) {
    const model = createMachineModel("7", index);
    let scans = 0;
    for (let s = 0; s < 60; s++) {
      const sample = model.sampleAt(T0 + s * 1000 + 300, s);
      assert.ok(SampleSchema.safeParse(sample).success);
      assert.ok(sample.processCounts, "counts in every sample");
      const report = sample.processes;
      if (!report) continue;
      scans++;
      const cpu = report.top.reduce((sum, e) => sum + (e.cpu ?? 0), 0);
      const machine = sample.cpu!.usage! * model.profile.cores;
      // 95 % of the busy time (the rest: kernel threads, interrupts), up to rounding
      assert.ok(Math.abs(cpu - machine * 0.95) <= 0.1 * report.top.length, `${cpu} of ${machine}`);
      const rss = report.top.reduce((sum, e) => sum + e.rss, 0);
      assert.ok(Math.abs(rss - sample.mem!.used * 0.85) < report.top.length, "85 % of used memory");
      assert.ok(report.top.some((e) => e.pid === 1 && e.name === "systemd"));
    }
    assert.equal(scans, 12, "one sample in five");
  }
});

Deno.test("each fault is caused by its named process, at the top of its resource", () => {
  for (let index = 0; index < 12; index++) {
    const faults = parseFaultSpec(
      FAULT_KINDS.map((kind, k) => `${kind}@${k * 10}m+5m:${index}`).join(","),
      CTX,
    );
    const model = createMachineModel("7", index, { faults });
    const clean = createMachineModel("7", index);
    for (const fault of faults) {
      const ts = fault.end - 60_000 + 300; // well into the fault, on a scan
      const sample = model.sampleAt(ts);
      const top = sample.processes!.top;
      const culprit = top.find((e) => e.pid === faultPid(fault));
      assert.ok(culprit, `${fault.kind} on ${index}: ${fault.process} listed`);
      assert.equal(culprit.name, fault.process);
      assert.equal(culprit.start, fault.start);
      const by = (f: (e: ProcessEntry) => number | null) =>
        [...top].sort((a, b) => (f(b) ?? 0) - (f(a) ?? 0))[0];
      if (fault.kind === "cpu") {
        assert.equal(by((e) => e.cpu), culprit, "the top process by CPU");
        const added = (sample.cpu!.usage! - clean.sampleAt(ts).cpu!.usage!) * model.profile.cores;
        assert.ok(Math.abs(culprit.cpu! - added) < 1, `${culprit.cpu} for ${added}`);
      }
      if (fault.kind === "memleak") assert.equal(by((e) => e.rss), culprit, "the top by memory");
      if (fault.kind === "disk") assert.equal(by((e) => e.writeBps), culprit, "the top writer");
      assert.equal(
        model.sampleAt(fault.end + 300).processes!.top.find((e) => e.pid === culprit.pid),
        undefined,
      );
    }
  }
});

Deno.test("pids and start times stay within a boot and change with a reboot", () => {
  const model = createMachineModel("7", 3);
  const period = model.profile.rebootPeriodMs;
  const pids = (ts: number) =>
    model.sampleAt(ts).processes!.top.map((e) => `${e.name}:${e.pid}:${e.start}`).sort();
  const boot = Math.ceil((model.profile.bootTs + 10 * period) / 5000) * 5000; // on a scan
  assert.deepEqual(pids(boot + 3_600_000), pids(boot + 7_200_000));
  const nextBoot = Math.ceil((boot + period) / 5000) * 5000;
  assert.notDeepEqual(pids(boot + 3_600_000), pids(nextBoot + 3_600_000));
});
