import assert from "node:assert/strict";
import { createAnomalyEmitter, NO_VERDICT } from "../../src/master/detection_port.ts";
import { nameEventProcesses, processesOfEvent } from "../../src/master/event_processes.ts";
import type { ProcessEntry } from "../../src/protocol/processes.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import type { AnomalyEvent } from "../../src/master/store/store_types.ts";
import { machineInfo, simpleSample, tempStore } from "./store/store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

function entry(pid: number, name: string, cpu: number, rss = 1e6): ProcessEntry {
  return { pid, name, state: "R", cpu, rss, readBps: 0, writeBps: 0, start: 1000 + pid };
}

/** A sample every second; every fifth a scan where ffmpeg runs hot from 30 s on. */
function samples(count: number): Sample[] {
  return Array.from({ length: count }, (_, k) => {
    const sample = simpleSample("m1", T0 + k * 1000, k, k);
    if (k % 5 === 0) {
      const top = [entry(900, "postgres", 40), entry(77, "sshd", 0.2)];
      if (k >= 30) top.unshift(entry(4121, "ffmpeg", k >= 40 ? 190 : 120));
      sample.processes = { spanMs: 5000, top };
    }
    return sample;
  });
}

function event(start: number, end: number | null, metric = "cpu.usage"): AnomalyEvent {
  return {
    id: 1,
    machineId: "m1",
    start,
    end,
    peakScore: 0.9,
    reason: metric,
    causes: [{ metric, value: 99, normalLow: 10, normalHigh: 40, contribution: 0.8 }],
    closeReason: null,
  };
}

Deno.test("an event names the top processes of its first minute, each at its highest", async () => {
  const { store, dir } = await tempStore(() => T0 + 120_000);
  try {
    store.registerMachine(machineInfo("m1"), T0);
    store.write(samples(120).map((sample) => ({ machineId: "m1", sample, receivedAt: sample.ts })));
    const named = processesOfEvent(store, event(T0 + 31_000, null), T0 + 120_000);
    assert.deepEqual(named.map((c) => [c.name, c.pid, c.value]), [
      ["ffmpeg", 4121, 190],
      ["postgres", 900, 40],
      ["sshd", 77, 0.2],
    ]);
    // a short event before ffmpeg ran: only what its covering scan shows
    const early = processesOfEvent(store, event(T0 + 11_000, T0 + 12_000), T0 + 120_000);
    assert.deepEqual(early.map((c) => c.name), ["postgres", "sshd"]);
    // memory causes rank by memory
    const memory = processesOfEvent(store, event(T0 + 31_000, null, "mem.usedPct"), T0 + 120_000);
    assert.equal(memory[0].measure, "rss");
    // an event of a machine without scans names nothing
    assert.deepEqual(processesOfEvent(store, { ...event(T0, null), machineId: "nope" }, T0), []);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("events emitted while a sample is scored name the processes of that sample's scan", async () => {
  const { store, dir } = await tempStore(() => T0 + 60_000);
  try {
    store.registerMachine(machineInfo("m1"), T0);
    const list = samples(36);
    store.write(
      list.slice(0, 35).map((sample) => ({ machineId: "m1", sample, receivedAt: sample.ts })),
    );
    const emitter = createAnomalyEmitter();
    const inner = {
      observe: (_machine: unknown, sample: Sample) => {
        if (sample.seq === 35) emitter.emit(event(T0 + 33_000, null));
        return NO_VERDICT;
      },
      machineOffline: () => {},
      onEvent: emitter.onEvent,
      close: () => {},
    };
    const named = nameEventProcesses(inner, store, () => T0 + 35_000);
    const heard: AnomalyEvent[] = [];
    named.onEvent((e) => heard.push(e));
    // scan 35 (ffmpeg at 120 %) is being scored, not stored yet: the event still names ffmpeg
    named.observe(store.getMachine("m1")!, list[35]);
    assert.equal(heard.length, 1);
    assert.deepEqual(heard[0].processes!.map((c) => c.name), ["ffmpeg", "postgres", "sshd"]);
    assert.equal(heard[0].processes![0].value, 120);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
