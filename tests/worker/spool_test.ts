import assert from "node:assert/strict";
import { join } from "node:path";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { openSpool, parseSegment, parseSpoolState, type Spool } from "../../src/worker/spool.ts";
import type { UnnumberedSample } from "../../src/worker/sampler_types.ts";

function sample(ts: number, padding = 0): UnnumberedSample {
  return { ts, machineId: "m1", hostname: "x".repeat(Math.max(1, padding)) };
}

async function seqsOf(spool: Spool): Promise<number[]> {
  const batch = await spool.batchAfter(-1, 1e9, 1e12);
  return batch?.lines.map((line) => JSON.parse(line).seq) ?? [];
}

function isValidSample(value: unknown): boolean {
  return SampleSchema.safeParse(value).success;
}

async function segmentFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("seg-")) names.push(entry.name);
  }
  return names.sort();
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await segmentFiles(dir)) total += (await Deno.stat(join(dir, name))).size;
  return total;
}

Deno.test("spool numbers samples from 0 and keeps them until acknowledged", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  for (let i = 0; i < 5; i++) assert.equal(await spool.append(sample(1000 + i)), i);
  assert.deepEqual(await seqsOf(spool), [0, 1, 2, 3, 4]);
  const line = JSON.parse((await spool.batchAfter(-1, 1, 1e9))!.lines[0]);
  assert.deepEqual(line, { ts: 1000, seq: 0, machineId: "m1", hostname: "x" });
  await spool.ack(2);
  assert.deepEqual(await seqsOf(spool), [3, 4]);
  assert.equal(spool.pendingCount, 2);
  await spool.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spool batchAfter() respects the count and byte limits but returns at least one", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  for (let i = 0; i < 10; i++) await spool.append(sample(i, 100));
  const byCount = (await spool.batchAfter(3, 4, 1e9))!;
  assert.deepEqual([byCount.firstSeq, byCount.lastSeq, byCount.lines.length], [4, 7, 4]);
  const bySize = (await spool.batchAfter(-1, 100, 300))!;
  assert.equal(bySize.lines.length, 2);
  assert.equal((await spool.batchAfter(0, 100, 1))!.lines.length, 1);
  assert.equal(await spool.batchAfter(9, 100, 1e9), undefined);
  await spool.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a reopened spool replays what it held and keeps numbering", async () => {
  const dir = await Deno.makeTempDir();
  const first = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  for (let i = 0; i < 6; i++) await first.append(sample(i));
  await first.ack(1);
  // No close(): as after SIGKILL, only what was written is there.
  const second = await openSpool({ dir, maxBytes: 1 << 20, log: () => {}, isValidSample });
  assert.deepEqual(await seqsOf(second), [0, 1, 2, 3, 4, 5]); // acks are the master's to repeat
  assert.equal(second.nextSeq, 6);
  assert.equal(await second.append(sample(6)), 6);
  await second.rebase(3);
  assert.deepEqual(await seqsOf(second), [4, 5, 6]);
  await second.close();
  await first.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spool keeps its counter after every segment was acknowledged and deleted", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({ dir, maxBytes: 8192, segmentBytes: 1024, log: () => {} });
  for (let i = 0; i < 40; i++) await spool.append(sample(i, 50));
  await spool.ack(39);
  assert.ok((await segmentFiles(dir)).length <= 1, "acknowledged segments are deleted");
  await spool.close();
  const reopened = await openSpool({ dir, maxBytes: 8192, log: () => {} });
  assert.equal(reopened.pendingCount, 0);
  assert.equal(await reopened.append(sample(40)), 40);
  await reopened.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a full spool drops the oldest samples, counts them, logs once and stays under its cap", async () => {
  const dir = await Deno.makeTempDir();
  const logs: string[] = [];
  const maxBytes = 8192;
  const spool = await openSpool({ dir, maxBytes, log: (m) => logs.push(m) });
  for (let i = 0; i < 200; i++) {
    await spool.append(sample(i, 100));
    assert.ok(await dirBytes(dir) <= maxBytes, `after ${i}: ${await dirBytes(dir)} bytes on disk`);
  }
  const held = await seqsOf(spool);
  assert.equal(held.at(-1), 199);
  assert.equal(spool.dropped, 200 - held.length);
  assert.ok(spool.dropped > 100);
  assert.deepEqual(held, Array.from({ length: held.length }, (_, i) => 200 - held.length + i));
  assert.equal(logs.filter((m) => m.includes("full")).length, 1, logs.join("\n"));
  await spool.ack(199);
  assert.equal(logs.filter((m) => m.includes("room again")).length, 1);
  await spool.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spool skips a torn last line after a crash and logs it", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  for (let i = 0; i < 3; i++) await spool.append(sample(i));
  const [name] = await segmentFiles(dir);
  await Deno.writeTextFile(join(dir, name), '{"ts":3,"seq":3,"machi', { append: true });
  const logs: string[] = [];
  const reopened = await openSpool({ dir, maxBytes: 1 << 20, log: (m) => logs.push(m) });
  assert.deepEqual(await seqsOf(reopened), [0, 1, 2]);
  assert.match(logs.join("\n"), /skipped 1 unreadable line/);
  // New samples go to a new segment, never after the torn line.
  assert.equal(await reopened.append(sample(3)), 3);
  await reopened.close();
  const again = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  assert.deepEqual(await seqsOf(again), [0, 1, 2, 3]);
  await again.close();
  await spool.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseSegment() skips garbage, non-samples and seqs already seen", () => {
  const text = [
    '{"ts":1,"seq":4,"machineId":"m","hostname":"h"}',
    "not json",
    '{"ts":1,"seq":"5"}',
    '{"ts":1,"seq":5,"machineId":"m","hostname":"h"}',
    '{"ts":1,"seq":5,"machineId":"m","hostname":"h"}',
    '{"ts":1,"seq":6,"machineId":"","hostname":"h"}',
    "",
  ].join("\n");
  const parsed = parseSegment(text, 3, isValidSample);
  assert.deepEqual(parsed.seqs, [4, 5]);
  assert.equal(parsed.skipped, 3);
  assert.deepEqual(parseSegment(text, 4, isValidSample).seqs, [5]);
});

Deno.test("parseSpoolState() rejects a malformed state file", () => {
  assert.deepEqual(parseSpoolState('{"nextSeq":7,"acked":3}'), { nextSeq: 7, acked: 3 });
  assert.throws(() => parseSpoolState('{"nextSeq":-1,"acked":3}'), SyntaxError);
  assert.throws(() => parseSpoolState("{"), SyntaxError);
  assert.throws(() => parseSpoolState("null"), SyntaxError);
});

Deno.test("spool renumbers after the master's lastSeq when its own counter is behind", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  for (let i = 0; i < 3; i++) await spool.append(sample(i));
  await spool.rebase(100);
  assert.deepEqual(await seqsOf(spool), [101, 102, 103]);
  assert.equal(JSON.parse((await spool.batchAfter(-1, 1, 1e9))!.lines[0]).ts, 0);
  assert.equal(await spool.append(sample(3)), 104);
  await spool.close();
  const reopened = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  assert.deepEqual(await seqsOf(reopened), [101, 102, 103, 104]);
  await reopened.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spool keeps samples in memory when the disk fails, and says so once", async () => {
  const dir = await Deno.makeTempDir();
  const logs: string[] = [];
  const spool = await openSpool({
    dir,
    maxBytes: 1 << 20,
    segmentBytes: 1024,
    log: (m) => logs.push(m),
  });
  await spool.append(sample(0));
  // Replace the directory by a file: every write and open fails from now on.
  await Deno.remove(dir, { recursive: true });
  await Deno.writeTextFile(dir, "");
  for (let i = 1; i < 30; i++) await spool.append(sample(i, 60));
  assert.deepEqual(await seqsOf(spool), Array.from({ length: 30 }, (_, i) => i));
  assert.equal(logs.filter((m) => m.includes("in memory only")).length, 1, logs.join("\n"));
  await spool.close();
  await Deno.remove(dir);
});

Deno.test("openSpool() rejects a cap below the minimum", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => openSpool({ dir, maxBytes: 100 }), RangeError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spool keeps only memoryMaxBytes of samples in memory and reads older ones back from disk", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({
    dir,
    maxBytes: 1 << 20,
    memoryMaxBytes: 2048,
    segmentBytes: 4096,
    log: () => {},
  });
  for (let i = 0; i < 100; i++) await spool.append(sample(i, 100));
  assert.ok(spool.memoryBytes <= 2048, `${spool.memoryBytes} bytes in memory`);
  assert.equal(spool.pendingCount, 100);
  const all = await seqsOf(spool);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
  const batch = (await spool.batchAfter(9, 5, 1e9))!;
  assert.deepEqual(batch.lines.map((line) => JSON.parse(line).ts), [10, 11, 12, 13, 14]);
  await spool.ack(49);
  assert.deepEqual((await seqsOf(spool))[0], 50);
  await spool.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a reopened spool holds its backlog on disk, not in memory, until it is sent", async () => {
  const dir = await Deno.makeTempDir();
  const first = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  for (let i = 0; i < 50; i++) await first.append(sample(i, 100));
  await first.close();
  const second = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  assert.equal(second.pendingCount, 50);
  assert.equal(second.memoryBytes, 0);
  assert.ok(second.hasAfter(48) && !second.hasAfter(49));
  assert.deepEqual(await seqsOf(second), Array.from({ length: 50 }, (_, i) => i));
  await second.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("spool drops and counts samples whose segment vanished, with a log line", async () => {
  const dir = await Deno.makeTempDir();
  const first = await openSpool({ dir, maxBytes: 1 << 20, segmentBytes: 1024, log: () => {} });
  for (let i = 0; i < 30; i++) await first.append(sample(i, 100));
  await first.close();
  const logs: string[] = [];
  const second = await openSpool({ dir, maxBytes: 1 << 20, log: (m) => logs.push(m) });
  const [oldest] = await segmentFiles(dir);
  await Deno.remove(join(dir, oldest));
  const seqs = await seqsOf(second);
  assert.ok(seqs.length > 0 && seqs.length < 30);
  assert.equal(second.dropped, 30 - seqs.length);
  assert.match(logs.join("\n"), /samples are gone/);
  await second.close();
  await Deno.remove(dir, { recursive: true });
});
