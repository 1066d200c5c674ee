/**
 * Hand-written validation of the worker's `hello` and `samples` frames: the master's hot ingest
 * path. The zod schemas in messages.ts and sample.ts stay the documented source of truth; this
 * file accepts and refuses exactly what they do, with the same reason for the first problem, and
 * tests/protocol/sample_validator_test.ts holds the two in agreement on generated frames.
 *
 * One pass checks without allocating. A frame with nothing to strip (no unknown keys, plain
 * objects) is returned as it is; otherwise a stripped copy in schema key order is built, as zod
 * builds one. (Deleting unknown keys in place measured slower than the copy, and leaves objects
 * in V8's slow dictionary mode.) Meant for values from JSON.parse: for those, the output
 * deep-equals zod's; an in-process array with extra properties would keep them.
 *
 * A field added to sample.ts or messages.ts needs its check here and its key in the specs below
 * (the spec test fails until the keys match; extend the fuzz generator for the check).
 */
import { LIMITS } from "./limits.ts";
import type { Hello, SamplesFrame, WorkerFrame } from "./messages.ts";

/** Result of a check: the frame, or the first problem as `path: message`. */
export type Checked<T> = { ok: true; frame: T } | { ok: false; reason: string };

type Rec = Record<string, unknown>;
type Path = (string | number)[];

const MAX_STRING = LIMITS.maxStringLength;
const MAX_ID = LIMITS.maxIdLength;
const MAX_ARRAY = LIMITS.maxArrayLength;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const OBJECT_PROTO = Object.prototype;

/** Set by a failing check: where (innermost first) and what. */
let failPath: Path = [];
let failMessage = "";
/** Set by the check pass when the output must be a stripped copy. */
let mustCopy = false;

function fail(key: string | number, message: string): false {
  failPath = [key];
  failMessage = message;
  return false;
}

function within(key: string | number): false {
  failPath.push(key);
  return false;
}

/** zod's name for the type of a value it refused. */
function received(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Number.isNaN(value) ? "NaN" : Number.isFinite(value) ? "number" : String(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return "array";
      const proto = Object.getPrototypeOf(value);
      if (proto !== OBJECT_PROTO && "constructor" in value && value.constructor) {
        const name = (value.constructor as { name: string }).name;
        return name === "nan" ? "NaN" : name;
      }
      return "object";
    }
    default:
      return typeof value;
  }
}

function expected(type: string, value: unknown): string {
  return `Invalid input: expected ${type}, received ${received(value)}`;
}

/** Undefined when `v` is a finite number in [min, max]; otherwise zod's message. */
function num(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== "number" || v - v !== 0) return expected("number", v);
  if (v < min) return `Too small: expected number to be >=${min}`;
  if (v > max) return `Too big: expected number to be <=${max}`;
  return undefined;
}

function numOrNull(v: unknown, min: number, max: number): string | undefined {
  return v === null ? undefined : num(v, min, max);
}

/** Like num() for z.int(): a safe integer. */
function int(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== "number" || v - v !== 0) return expected("number", v);
  if (!Number.isInteger(v)) return "Invalid input: expected int, received number";
  if (v > MAX_SAFE) return `Too big: expected int to be <=${MAX_SAFE}`;
  if (v < -MAX_SAFE) return `Too small: expected int to be >=${-MAX_SAFE}`;
  if (v < min) return `Too small: expected number to be >=${min}`;
  if (v > max) return `Too big: expected number to be <=${max}`;
  return undefined;
}

function str(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== "string") return expected("string", v);
  if (v.length < min) return `Too small: expected string to have >=${min} characters`;
  if (v.length > max) return `Too big: expected string to have <=${max} characters`;
  return undefined;
}

function isObject(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Notes a copy when `o` holds keys beyond the `known` ones read, or is not a plain object. */
function noteExtra(o: Rec, known: number): void {
  let n = 0;
  for (const _ in o) n++;
  if (n !== known || Object.getPrototypeOf(o) !== OBJECT_PROTO) mustCopy = true;
}

/** Checks an optional array of objects; returns false (with the problem set) on the first. */
function list(o: Rec, key: string, check: (item: Rec) => boolean): boolean {
  const a = o[key];
  if (!Array.isArray(a)) return fail(key, expected("array", a));
  if (a.length > MAX_ARRAY) {
    return fail(key, `Too big: expected array to have <=${MAX_ARRAY} items`);
  }
  for (let i = 0; i < a.length; i++) {
    const item = a[i];
    if (!isObject(item)) return fail(i, expected("object", item)) || within(key);
    if (!check(item)) return within(i) || within(key);
  }
  return true;
}

function object(o: Rec, key: string, check: (item: Rec) => boolean): boolean {
  const v = o[key];
  if (!isObject(v)) return fail(key, expected("object", v));
  return check(v) || within(key);
}

function checkCpu(o: Rec): boolean {
  let m: string | undefined;
  let known = 3;
  if ((m = numOrNull(o.usage, 0, 100)) !== undefined) return fail("usage", m);
  if ((m = numOrNull(o.user, 0, 100)) !== undefined) return fail("user", m);
  if ((m = numOrNull(o.system, 0, 100)) !== undefined) return fail("system", m);
  for (const key of CPU_OPTIONAL) {
    const v = o[key];
    if (v === undefined) continue;
    if ((m = numOrNull(v, 0, 100)) !== undefined) return fail(key, m);
    known++;
  }
  const cores = o.cores;
  if (cores !== undefined) {
    if (!Array.isArray(cores)) return fail("cores", expected("array", cores));
    if (cores.length > MAX_ARRAY) {
      return fail("cores", `Too big: expected array to have <=${MAX_ARRAY} items`);
    }
    for (let i = 0; i < cores.length; i++) {
      if ((m = numOrNull(cores[i], 0, 100)) !== undefined) return fail(i, m) || within("cores");
    }
    known++;
  }
  noteExtra(o, known);
  return true;
}

const CPU_OPTIONAL = ["iowait", "steal", "nice", "irq", "softirq", "idle"] as const;

function checkMem(o: Rec): boolean {
  let m: string | undefined;
  let known = 6;
  const inf = Infinity;
  if ((m = num(o.total, 0, inf)) !== undefined) return fail("total", m);
  if ((m = num(o.used, 0, inf)) !== undefined) return fail("used", m);
  if ((m = num(o.available, 0, inf)) !== undefined) return fail("available", m);
  if (o.free !== undefined) {
    if ((m = num(o.free, 0, inf)) !== undefined) return fail("free", m);
    known++;
  }
  if (o.cached !== undefined) {
    if ((m = num(o.cached, 0, inf)) !== undefined) return fail("cached", m);
    known++;
  }
  if (o.buffers !== undefined) {
    if ((m = num(o.buffers, 0, inf)) !== undefined) return fail("buffers", m);
    known++;
  }
  if ((m = num(o.usedPct, 0, 100)) !== undefined) return fail("usedPct", m);
  if ((m = num(o.swapTotal, 0, inf)) !== undefined) return fail("swapTotal", m);
  if ((m = num(o.swapUsed, 0, inf)) !== undefined) return fail("swapUsed", m);
  noteExtra(o, known);
  return true;
}

function checkLoad(o: Rec): boolean {
  let m: string | undefined;
  if ((m = num(o["1"], 0, Infinity)) !== undefined) return fail("1", m);
  if ((m = num(o["5"], 0, Infinity)) !== undefined) return fail("5", m);
  if ((m = num(o["15"], 0, Infinity)) !== undefined) return fail("15", m);
  noteExtra(o, 3);
  return true;
}

function checkDisk(o: Rec): boolean {
  let m: string | undefined;
  if ((m = str(o.name, 0, MAX_STRING)) !== undefined) return fail("name", m);
  if ((m = numOrNull(o.readBps, 0, Infinity)) !== undefined) return fail("readBps", m);
  if ((m = numOrNull(o.writeBps, 0, Infinity)) !== undefined) return fail("writeBps", m);
  if ((m = numOrNull(o.readIops, 0, Infinity)) !== undefined) return fail("readIops", m);
  if ((m = numOrNull(o.writeIops, 0, Infinity)) !== undefined) return fail("writeIops", m);
  if ((m = numOrNull(o.utilPct, 0, 100)) !== undefined) return fail("utilPct", m);
  noteExtra(o, 6);
  return true;
}

function checkFilesystem(o: Rec): boolean {
  let m: string | undefined;
  let known = 5;
  if ((m = str(o.mount, 0, MAX_STRING)) !== undefined) return fail("mount", m);
  if ((m = str(o.fstype, 0, MAX_STRING)) !== undefined) return fail("fstype", m);
  if (o.device !== undefined) {
    if ((m = str(o.device, 0, MAX_STRING)) !== undefined) return fail("device", m);
    known++;
  }
  if ((m = num(o.size, 0, Infinity)) !== undefined) return fail("size", m);
  if ((m = num(o.used, 0, Infinity)) !== undefined) return fail("used", m);
  if (o.free !== undefined) {
    if ((m = num(o.free, 0, Infinity)) !== undefined) return fail("free", m);
    known++;
  }
  if ((m = num(o.usedPct, 0, 100)) !== undefined) return fail("usedPct", m);
  noteExtra(o, known);
  return true;
}

function checkNet(o: Rec): boolean {
  let m: string | undefined;
  let known = 7;
  if ((m = str(o.iface, 0, MAX_STRING)) !== undefined) return fail("iface", m);
  if ((m = numOrNull(o.rxBps, 0, Infinity)) !== undefined) return fail("rxBps", m);
  if ((m = numOrNull(o.txBps, 0, Infinity)) !== undefined) return fail("txBps", m);
  if ((m = numOrNull(o.rxPps, 0, Infinity)) !== undefined) return fail("rxPps", m);
  if ((m = numOrNull(o.txPps, 0, Infinity)) !== undefined) return fail("txPps", m);
  if ((m = numOrNull(o.rxErrors, 0, Infinity)) !== undefined) return fail("rxErrors", m);
  if ((m = numOrNull(o.txErrors, 0, Infinity)) !== undefined) return fail("txErrors", m);
  if (o.rxDrops !== undefined) {
    if ((m = numOrNull(o.rxDrops, 0, Infinity)) !== undefined) return fail("rxDrops", m);
    known++;
  }
  if (o.txDrops !== undefined) {
    if ((m = numOrNull(o.txDrops, 0, Infinity)) !== undefined) return fail("txDrops", m);
    known++;
  }
  noteExtra(o, known);
  return true;
}

function checkPressureLine(o: Rec): boolean {
  let m: string | undefined;
  let known = 3;
  if ((m = num(o.some10, 0, 100)) !== undefined) return fail("some10", m);
  if ((m = num(o.some60, 0, 100)) !== undefined) return fail("some60", m);
  if ((m = num(o.some300, 0, 100)) !== undefined) return fail("some300", m);
  for (const key of FULL_KEYS) {
    const v = o[key];
    if (v === undefined) continue;
    if ((m = num(v, 0, 100)) !== undefined) return fail(key, m);
    known++;
  }
  noteExtra(o, known);
  return true;
}

const FULL_KEYS = ["full10", "full60", "full300"] as const;
const PRESSURE_KEYS = ["cpu", "memory", "io"] as const;

function checkPressure(o: Rec): boolean {
  let known = 0;
  for (const key of PRESSURE_KEYS) {
    if (o[key] === undefined) continue;
    if (!object(o, key, checkPressureLine)) return false;
    known++;
  }
  noteExtra(o, known);
  return true;
}

function checkTemp(o: Rec): boolean {
  let m: string | undefined;
  if ((m = str(o.sensor, 0, MAX_STRING)) !== undefined) return fail("sensor", m);
  if ((m = str(o.label, 0, MAX_STRING)) !== undefined) return fail("label", m);
  if ((m = num(o.celsius, -273.15, 1000)) !== undefined) return fail("celsius", m);
  noteExtra(o, 3);
  return true;
}

function checkSample(o: Rec): boolean {
  let m: string | undefined;
  let known = 4;
  if ((m = int(o.ts, 0, Infinity)) !== undefined) return fail("ts", m);
  if ((m = int(o.seq, 0, Infinity)) !== undefined) return fail("seq", m);
  if ((m = str(o.machineId, 1, MAX_ID)) !== undefined) return fail("machineId", m);
  if ((m = str(o.hostname, 0, MAX_STRING)) !== undefined) return fail("hostname", m);
  if (o.cpu !== undefined) {
    if (!object(o, "cpu", checkCpu)) return false;
    known++;
  }
  if (o.mem !== undefined) {
    if (!object(o, "mem", checkMem)) return false;
    known++;
  }
  if (o.load !== undefined) {
    if (!object(o, "load", checkLoad)) return false;
    known++;
  }
  if (o.disks !== undefined) {
    if (!list(o, "disks", checkDisk)) return false;
    known++;
  }
  if (o.filesystems !== undefined) {
    if (!list(o, "filesystems", checkFilesystem)) return false;
    known++;
  }
  if (o.net !== undefined) {
    if (!list(o, "net", checkNet)) return false;
    known++;
  }
  if (o.pressure !== undefined) {
    if (!object(o, "pressure", checkPressure)) return false;
    known++;
  }
  if (o.temps !== undefined) {
    if (!list(o, "temps", checkTemp)) return false;
    known++;
  }
  if (o.uptime !== undefined) {
    if ((m = num(o.uptime, 0, Infinity)) !== undefined) return fail("uptime", m);
    known++;
  }
  if (o.procs !== undefined) {
    if ((m = int(o.procs, 0, Infinity)) !== undefined) return fail("procs", m);
    known++;
  }
  if (o.procsRunning !== undefined) {
    if ((m = int(o.procsRunning, 0, Infinity)) !== undefined) return fail("procsRunning", m);
    known++;
  }
  noteExtra(o, known);
  return true;
}

function checkSamplesFrame(o: Rec): boolean {
  let m: string | undefined;
  let known = 3;
  if (o.type !== "samples") return fail("type", 'Invalid input: expected "samples"');
  if ((m = int(o.v, 1, Infinity)) !== undefined) return fail("v", m);
  const samples = o.samples;
  if (!Array.isArray(samples)) return fail("samples", expected("array", samples));
  const max = LIMITS.maxSamplesPerFrame;
  if (samples.length > max) {
    return fail("samples", `Too big: expected array to have <=${max} items`);
  }
  for (let i = 0; i < samples.length; i++) {
    const item = samples[i];
    if (!isObject(item)) return fail(i, expected("object", item)) || within("samples");
    if (!checkSample(item)) return within(i) || within("samples");
  }
  if (samples.length < 1) return fail("samples", "Too small: expected array to have >=1 items");
  if (o.dropped !== undefined) {
    if ((m = int(o.dropped, 0, Infinity)) !== undefined) return fail("dropped", m);
    known++;
  }
  noteExtra(o, known);
  return true;
}

function checkHelloObject(o: Rec): boolean {
  let m: string | undefined;
  let known = 11;
  if (o.type !== "hello") return fail("type", 'Invalid input: expected "hello"');
  if ((m = int(o.v, 1, Infinity)) !== undefined) return fail("v", m);
  if ((m = str(o.token, 0, LIMITS.maxTokenLength)) !== undefined) return fail("token", m);
  if ((m = str(o.machineId, 1, MAX_ID)) !== undefined) return fail("machineId", m);
  if ((m = str(o.hostname, 0, MAX_STRING)) !== undefined) return fail("hostname", m);
  if (o.name !== undefined) {
    if ((m = str(o.name, 0, MAX_STRING)) !== undefined) return fail("name", m);
    known++;
  }
  if ((m = str(o.os, 0, MAX_STRING)) !== undefined) return fail("os", m);
  for (const key of ["osName", "kernel"]) {
    if (o[key] === undefined) continue;
    if ((m = str(o[key], 0, MAX_STRING)) !== undefined) return fail(key, m);
    known++;
  }
  if ((m = str(o.arch, 0, MAX_STRING)) !== undefined) return fail("arch", m);
  if ((m = int(o.cores, 0, 1_000_000)) !== undefined) return fail("cores", m);
  if ((m = num(o.memTotal, 0, Infinity)) !== undefined) return fail("memTotal", m);
  if ((m = str(o.agentVersion, 0, MAX_STRING)) !== undefined) return fail("agentVersion", m);
  if ((m = int(o.intervalMs, 1, Infinity)) !== undefined) return fail("intervalMs", m);
  noteExtra(o, known);
  return true;
}

/**
 * Key order of every object in the two frames (the zod shapes' order; a test compares them).
 * null is a leaf; `[spec]` is a list of spec.
 */
type Spec = null | { [key: string]: Spec } | [Spec];

const PRESSURE_LINE: Spec = {
  some10: null,
  some60: null,
  some300: null,
  full10: null,
  full60: null,
  full300: null,
};

/** Shape of a sample, for building stripped copies. */
export const SAMPLE_SPEC: Spec = {
  ts: null,
  seq: null,
  machineId: null,
  hostname: null,
  cpu: {
    usage: null,
    user: null,
    system: null,
    iowait: null,
    steal: null,
    nice: null,
    irq: null,
    softirq: null,
    idle: null,
    cores: [null],
  },
  mem: {
    total: null,
    used: null,
    available: null,
    free: null,
    cached: null,
    buffers: null,
    usedPct: null,
    swapTotal: null,
    swapUsed: null,
  },
  load: { "1": null, "5": null, "15": null },
  disks: [{
    name: null,
    readBps: null,
    writeBps: null,
    readIops: null,
    writeIops: null,
    utilPct: null,
  }],
  filesystems: [{
    mount: null,
    fstype: null,
    device: null,
    size: null,
    used: null,
    free: null,
    usedPct: null,
  }],
  net: [{
    iface: null,
    rxBps: null,
    txBps: null,
    rxPps: null,
    txPps: null,
    rxErrors: null,
    txErrors: null,
    rxDrops: null,
    txDrops: null,
  }],
  pressure: { cpu: PRESSURE_LINE, memory: PRESSURE_LINE, io: PRESSURE_LINE },
  temps: [{ sensor: null, label: null, celsius: null }],
  uptime: null,
  procs: null,
  procsRunning: null,
};

/** Shape of a `samples` frame. */
export const SAMPLES_FRAME_SPEC: Spec = {
  type: null,
  v: null,
  samples: [SAMPLE_SPEC],
  dropped: null,
};

/** Shape of a `hello` frame. */
export const HELLO_SPEC: Spec = {
  type: null,
  v: null,
  token: null,
  machineId: null,
  hostname: null,
  name: null,
  os: null,
  osName: null,
  kernel: null,
  arch: null,
  cores: null,
  memTotal: null,
  agentVersion: null,
  intervalMs: null,
};

/** A copy of a checked value with only the keys of `spec`, in its order (zod's strip). */
function copy(value: unknown, spec: Spec): unknown {
  if (spec === null || value === undefined || value === null) return value;
  if (Array.isArray(spec)) return (value as unknown[]).map((item) => copy(item, spec[0]));
  const input = value as Rec;
  const out: Rec = {};
  for (const key in spec) {
    if (key in input) out[key] = copy(input[key], spec[key]);
  }
  return out;
}

function run<T>(data: unknown, check: (o: Rec) => boolean, spec: Spec): Checked<T> {
  if (!isObject(data)) return { ok: false, reason: expected("object", data) };
  mustCopy = false;
  if (!check(data)) {
    const path = failPath.reverse();
    let where = "";
    for (const p of path) where += typeof p === "number" ? `[${p}]` : `${where ? "." : ""}${p}`;
    return { ok: false, reason: `${where}: ${failMessage}` };
  }
  return { ok: true, frame: (mustCopy ? copy(data, spec) : data) as T };
}

/** Checks a value as SamplesSchema.safeParse would. */
export function checkSamples(data: unknown): Checked<SamplesFrame> {
  return run(data, checkSamplesFrame, SAMPLES_FRAME_SPEC);
}

/** Checks a value as HelloSchema.safeParse would. */
export function checkHello(data: unknown): Checked<Hello> {
  return run(data, checkHelloObject, HELLO_SPEC);
}

/** Checks a value as WorkerFrameSchema.safeParse would (`type` picks the frame). */
export function checkWorkerFrame(data: unknown): Checked<WorkerFrame> {
  if (!isObject(data)) return { ok: false, reason: expected("object", data) };
  if (data.type === "samples") return checkSamples(data);
  if (data.type === "hello") return checkHello(data);
  return { ok: false, reason: "type: Invalid discriminator value. Expected 'hello' | 'samples'" };
}
