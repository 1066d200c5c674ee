/**
 * The sample: what a worker reads every interval and what the protocol carries.
 * Percentages are 0..100, rates per second, sizes in bytes. A rate that cannot be
 * known yet (the first sample) is null; a metric the platform lacks is absent.
 */
import { z } from "zod";
import { LIMITS } from "./limits.ts";
import { ProcessCountsSchema, ProcessReportSchema } from "./processes.ts";

const num = z.number(); // zod rejects NaN and ±Infinity
const nonNeg = num.min(0);
const pct = num.min(0).max(100);
const pctOrNull = pct.nullable();
const rate = nonNeg.nullable();
const text = z.string().max(LIMITS.maxStringLength);
function list<T extends z.ZodType>(item: T) {
  return z.array(item).max(LIMITS.maxArrayLength);
}

export const CpuSchema = z.object({
  usage: pctOrNull,
  user: pctOrNull,
  system: pctOrNull,
  iowait: pctOrNull.optional(),
  steal: pctOrNull.optional(),
  nice: pctOrNull.optional(),
  irq: pctOrNull.optional(),
  softirq: pctOrNull.optional(),
  idle: pctOrNull.optional(),
  /** Usage per logical core, in core order. */
  cores: list(pctOrNull).optional(),
});

export const MemSchema = z.object({
  total: nonNeg,
  used: nonNeg,
  available: nonNeg,
  free: nonNeg.optional(),
  cached: nonNeg.optional(),
  buffers: nonNeg.optional(),
  usedPct: pct,
  swapTotal: nonNeg,
  swapUsed: nonNeg,
});

export const LoadSchema = z.object({ "1": nonNeg, "5": nonNeg, "15": nonNeg });

export const DiskSchema = z.object({
  name: text,
  readBps: rate,
  writeBps: rate,
  readIops: rate,
  writeIops: rate,
  utilPct: pctOrNull,
});

export const FilesystemSchema = z.object({
  mount: text,
  fstype: text,
  device: text.optional(),
  size: nonNeg,
  used: nonNeg,
  free: nonNeg.optional(),
  usedPct: pct,
});

export const NetSchema = z.object({
  iface: text,
  rxBps: rate,
  txBps: rate,
  rxPps: rate,
  txPps: rate,
  /** Errors and drops per second. */
  rxErrors: rate,
  txErrors: rate,
  rxDrops: rate.optional(),
  txDrops: rate.optional(),
});

/** One PSI resource line set: averages over 10, 60 and 300 s, in percent. */
export const PressureLineSchema = z.object({
  some10: pct,
  some60: pct,
  some300: pct,
  full10: pct.optional(),
  full60: pct.optional(),
  full300: pct.optional(),
});

export const PressureSchema = z.object({
  cpu: PressureLineSchema.optional(),
  memory: PressureLineSchema.optional(),
  io: PressureLineSchema.optional(),
});

export const TempSchema = z.object({
  sensor: text,
  label: text,
  celsius: num.min(-273.15).max(1000),
});

export const SampleSchema = z.object({
  ts: z.int().min(0),
  seq: z.int().min(0),
  machineId: z.string().min(1).max(LIMITS.maxIdLength),
  hostname: text,
  cpu: CpuSchema.optional(),
  mem: MemSchema.optional(),
  load: LoadSchema.optional(),
  disks: list(DiskSchema).optional(),
  filesystems: list(FilesystemSchema).optional(),
  net: list(NetSchema).optional(),
  pressure: PressureSchema.optional(),
  temps: list(TempSchema).optional(),
  /** Seconds since boot. */
  uptime: nonNeg.optional(),
  /** Total processes (threads excluded). */
  procs: z.int().min(0).optional(),
  procsRunning: z.int().min(0).optional(),
  /** The newest process scan's counts (src/protocol/processes.ts). */
  processCounts: ProcessCountsSchema.optional(),
  /** Top and watched processes, in the samples taken right after a process scan. */
  processes: ProcessReportSchema.optional(),
});

export type Sample = z.infer<typeof SampleSchema>;
export type CpuMetrics = z.infer<typeof CpuSchema>;
export type MemMetrics = z.infer<typeof MemSchema>;
export type LoadMetrics = z.infer<typeof LoadSchema>;
export type DiskMetrics = z.infer<typeof DiskSchema>;
export type FilesystemMetrics = z.infer<typeof FilesystemSchema>;
export type NetMetrics = z.infer<typeof NetSchema>;
export type PressureMetrics = z.infer<typeof PressureSchema>;
export type TempMetrics = z.infer<typeof TempSchema>;
