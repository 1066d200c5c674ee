/** Samples and stores for the store tests and benchmark. */
import type { Sample } from "../../../src/protocol/sample.ts";
import type { IngestRow, MachineInfo } from "../../../src/master/store/store_types.ts";
import { openStore, type SqliteStore } from "../../../src/master/store/sqlite_store.ts";

export const DAY_MS = 86_400_000;
export const RETENTION = { raw: 2 * DAY_MS, minute: 30 * DAY_MS, hour: 400 * DAY_MS };

/** A store in a fresh temp dir; `dir` holds its file. */
export async function tempStore(
  now: () => number = Date.now,
  extra: { retentionMaxRows?: number } = {},
): Promise<{ store: SqliteStore; dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_store_" });
  const path = `${dir}/gridmon.db`;
  return { store: openStore({ path, retention: RETENTION, now, ...extra }), dir, path };
}

export function machineInfo(id: string, hostname = `host-${id}`): MachineInfo {
  return {
    id,
    name: hostname,
    hostname,
    os: "linux",
    arch: "x86_64",
    cores: 4,
    memTotal: 8 * 2 ** 30,
    agentVersion: "0.1.0",
    intervalMs: 1000,
  };
}

/**
 * A small sample whose values are exact in float32 (multiples of 1/4), derived from `k`, so
 * tests can compare aggregates with plain arithmetic.
 */
export function simpleSample(machineId: string, ts: number, seq: number, k: number): Sample {
  const q = (x: number) => Math.round(x * 4) / 4;
  return {
    ts,
    seq,
    machineId,
    hostname: `host-${machineId}`,
    cpu: { usage: q((k * 7) % 100), user: q((k * 3) % 50), system: 1.5, cores: [q(k % 100), 2.25] },
    mem: {
      total: 8_000_000_000,
      used: 1_000_000 + k * 1000,
      available: 7_000_000_000,
      usedPct: q((k * 13) % 100),
      swapTotal: 0,
      swapUsed: 0,
    },
    load: { "1": q(k % 8), "5": 0.5, "15": 0.25 },
    disks: [{
      name: "vda",
      readBps: k * 512,
      writeBps: q((k * 37) % 1000),
      readIops: 1,
      writeIops: 2,
      utilPct: q(k % 100),
    }],
    net: [{
      iface: "eth0",
      rxBps: k * 100,
      txBps: 50,
      rxPps: 1,
      txPps: 1,
      rxErrors: 0,
      txErrors: 0,
    }],
    filesystems: [{ mount: "/", fstype: "ext4", size: 100_000, used: 50_000 + k, usedPct: 50 }],
    uptime: 1000 + k,
    procs: 100 + (k % 7),
  };
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sample shaped like a real Linux worker's: every scalar metric, 2-8 cores, 1-2 disks,
 * 1-2 interfaces, 2 filesystems, with fractional percentages and rates.
 */
export function realisticSample(
  machineId: string,
  ts: number,
  seq: number,
  shape: { cores: number; disks: number; ifaces: number },
  rand: () => number,
): Sample {
  const pct = () => Math.round(rand() * 100 * 1e4) / 1e4;
  const rate = () => Math.round(rand() * 5e6 * 100) / 100;
  const total = 16_777_216_000;
  const used = Math.floor(total * (0.3 + rand() * 0.3));
  const usage = pct();
  return {
    ts,
    seq,
    machineId,
    hostname: `host-${machineId}`,
    cpu: {
      usage,
      user: usage * 0.7,
      system: usage * 0.2,
      iowait: pct() / 20,
      steal: 0,
      nice: 0,
      irq: 0.01,
      softirq: pct() / 50,
      idle: 100 - usage,
      cores: Array.from({ length: shape.cores }, pct),
    },
    mem: {
      total,
      used,
      available: total - used,
      free: Math.floor((total - used) / 2),
      cached: 2_000_000_000 + Math.floor(rand() * 1e6),
      buffers: 100_000_000,
      usedPct: (used / total) * 100,
      swapTotal: 2_147_483_648,
      swapUsed: 1_048_576,
    },
    load: { "1": rand() * 4, "5": rand() * 3, "15": rand() * 2 },
    disks: Array.from({ length: shape.disks }, (_, i) => ({
      name: `nvme${i}n1`,
      readBps: rate(),
      writeBps: rate(),
      readIops: Math.floor(rand() * 500),
      writeIops: Math.floor(rand() * 500),
      utilPct: pct(),
    })),
    filesystems: [
      { mount: "/", fstype: "ext4", size: 250_000_000_000, used: 100_000_000_000, usedPct: 40 },
      { mount: "/boot", fstype: "vfat", size: 500_000_000, used: 80_000_000, usedPct: 16 },
    ],
    net: Array.from({ length: shape.ifaces }, (_, i) => ({
      iface: `eth${i}`,
      rxBps: rate(),
      txBps: rate(),
      rxPps: Math.floor(rand() * 5000),
      txPps: Math.floor(rand() * 5000),
      rxErrors: 0,
      txErrors: 0,
      rxDrops: 0,
      txDrops: 0,
    })),
    pressure: {
      cpu: { some10: pct() / 10, some60: 1, some300: 1 },
      memory: { some10: 0, some60: 0, some300: 0, full10: 0, full60: 0, full300: 0 },
      io: { some10: pct() / 10, some60: 1, some300: 1, full10: 0.5, full60: 0.5, full300: 0.5 },
    },
    uptime: 86_400 + ts / 1000,
    procs: 200 + Math.floor(rand() * 20),
    procsRunning: 1 + Math.floor(rand() * 4),
  };
}

/** An ingest row received at the sample's own time, with a score. */
export function rowOf(sample: Sample, score: number | null = null): IngestRow {
  return {
    machineId: sample.machineId,
    sample,
    receivedAt: sample.ts + 5,
    verdict: { score, anomalous: false, reason: null },
  };
}
