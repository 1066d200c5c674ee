/**
 * Parsers of the per-process procfs files the process collector reads: /proc/[pid]/stat,
 * statm, io and cmdline, plus /proc/self/auxv (page size, clock ticks) and the
 * boot time in /proc/stat (/proc/uptime: uptime.ts). Pure functions over the files' text or bytes.
 */

/** What the collector uses of one /proc/[pid]/stat (field numbers as in proc(5)). */
export interface PidStat {
  pid: number;
  /** `comm` (field 2): the executable's name, at most 15 bytes, any characters. */
  name: string;
  /** One letter (field 3): R running, S sleeping, D disk sleep, Z zombie, T/t stopped, I idle ... */
  state: string;
  /** utime + stime (fields 14, 15), in clock ticks. */
  cpuTicks: number;
  /** cutime + cstime (fields 16, 17): CPU of the children it has reaped, in clock ticks. */
  childTicks: number;
  /** num_threads (field 20). */
  threads: number;
  /** starttime (field 22): clock ticks after boot; with the pid, it names one process. */
  startTicks: number;
  /**
   * rss (field 24), in pages. Newer kernels (6.18 here) fill it from the fast, approximate
   * per-CPU counters, while statm's `resident` and status's VmRSS are exact (they differ by
   * up to a few hundred KB in the fixtures): good enough to pick memory candidates, and the
   * reported processes' memory is then read from statm (parseStatmResident).
   */
  rssPages: number;
}

/** Fields after the closing parenthesis of `comm`, counted from field 3 (state) as 0. */
const UTIME = 14 - 3;
const STIME = 15 - 3;
const CUTIME = 16 - 3;
const CSTIME = 17 - 3;
const THREADS = 20 - 3;
const START = 22 - 3;
const RSS = 24 - 3;

function badStat(text: string, why: string): RangeError {
  return new RangeError(`Cannot parse /proc/[pid]/stat (${why}): "${text.slice(0, 80).trim()}"`);
}

/**
 * Parses "4121 (ffmpeg) R 1 ... ". `comm` may hold spaces and parentheses, so it ends at the
 * last ")". Reads only the numeric fields it needs (no split of all 52).
 */
export function parsePidStat(text: string): PidStat {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(") ");
  if (open <= 0 || close < open) throw badStat(text, "no (comm)");
  const pid = Number(text.slice(0, open));
  if (!Number.isInteger(pid) || pid < 0) throw badStat(text, "pid is not a number");
  const wanted = [UTIME, STIME, CUTIME, CSTIME, THREADS, START, RSS];
  const values = wanted.map(() => 0);
  let start = close + 2;
  let field = 0;
  let next = 0;
  let state = "";
  while (next < wanted.length) {
    let end = text.indexOf(" ", start);
    if (end < 0) end = text.length;
    if (end === start) throw badStat(text, `field ${field + 3} is empty`);
    if (field === 0) state = text.slice(start, end);
    else if (field === wanted[next]) {
      const value = Number(text.slice(start, end));
      if (!Number.isFinite(value)) throw badStat(text, `field ${field + 3} is not a number`);
      values[next++] = value;
    }
    if (end >= text.length && next < wanted.length) {
      throw badStat(text, `${field + 3} fields, expected at least ${RSS + 3}`);
    }
    start = end + 1;
    field++;
  }
  if (state.length !== 1) throw badStat(text, `state "${state}"`);
  return {
    pid,
    name: text.slice(open + 2, close),
    state,
    cpuTicks: values[0] + values[1],
    childTicks: values[2] + values[3],
    threads: values[4],
    startTicks: values[5],
    rssPages: values[6],
  };
}

/** The second field of /proc/[pid]/statm: resident pages. */
export function parseStatmResident(text: string): number {
  const from = text.indexOf(" ") + 1;
  const end = text.indexOf(" ", from);
  const value = from > 0 && end > from ? Number(text.slice(from, end)) : NaN;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Cannot parse /proc/[pid]/statm: "${text.slice(0, 80).trim()}"`);
  }
  return value;
}

/** Bytes a process caused to be read from and written to storage (/proc/[pid]/io). */
export interface PidIo {
  readBytes: number;
  writeBytes: number;
}

function ioField(text: string, key: string): number {
  const at = text.indexOf(`\n${key}: `);
  if (at < 0) throw new RangeError(`Cannot parse /proc/[pid]/io: no ${key}`);
  const from = at + key.length + 3;
  let end = text.indexOf("\n", from);
  if (end < 0) end = text.length;
  const value = Number(text.slice(from, end));
  if (!Number.isFinite(value) || value < 0 || end === from) {
    throw new RangeError(`Cannot parse /proc/[pid]/io: ${key} is "${text.slice(from, end)}"`);
  }
  return value;
}

/**
 * Parses /proc/[pid]/io: `read_bytes` and `write_bytes` (storage I/O the process caused,
 * including that of children it has reaped), not rchar/wchar (which count page-cache hits).
 */
export function parsePidIo(text: string): PidIo {
  return { readBytes: ioField(text, "read_bytes"), writeBytes: ioField(text, "write_bytes") };
}

/**
 * /proc/[pid]/cmdline: arguments separated by NUL, joined with spaces, cut to `maxLength`
 * characters. Empty (kernel threads, zombies) gives undefined.
 */
export function parseCmdline(text: string, maxLength: number): string | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  if (end === 0) return undefined;
  const joined = text.slice(0, end).replaceAll("\0", " ");
  return joined.length > maxLength ? joined.slice(0, maxLength) : joined;
}

/** Page size and the clock-tick rate (USER_HZ) the kernel gave this process. */
export interface Auxv {
  pageSize: number;
  clockTicks: number;
}

const AT_PAGESZ = 6;
const AT_CLKTCK = 17;

/**
 * Parses /proc/self/auxv of a 64-bit little-endian process (every platform Deno runs Linux on):
 * pairs of (type, value) words up to AT_NULL. Throws when either entry is missing.
 */
export function parseAuxv(bytes: Uint8Array): Auxv {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pageSize = 0;
  let clockTicks = 0;
  for (let at = 0; at + 16 <= bytes.byteLength; at += 16) {
    const type = Number(view.getBigUint64(at, true));
    if (type === 0) break;
    const value = Number(view.getBigUint64(at + 8, true));
    if (type === AT_PAGESZ) pageSize = value;
    else if (type === AT_CLKTCK) clockTicks = value;
  }
  if (pageSize <= 0 || clockTicks <= 0) {
    throw new RangeError(
      `Cannot read page size and clock ticks from /proc/self/auxv (${bytes.byteLength} bytes)`,
    );
  }
  return { pageSize, clockTicks };
}

/** The `btime` line of /proc/stat: boot time, in seconds since the epoch. */
export function parseBootTime(procStat: string): number {
  const match = /^btime (\d+)$/m.exec(procStat);
  if (match === null) throw new RangeError("Cannot parse /proc/stat: no btime line");
  return Number(match[1]);
}
