/**
 * The worker's spool: assigns sequence numbers and keeps every unacknowledged sample in a
 * bounded append-only log on disk, so a lost connection or a restart loses nothing. The newest
 * samples (`memoryMaxBytes`, 4 MiB by default) also stay in memory; older ones are read back from
 * their segment when they are sent, so a long outage does not grow the worker's memory.
 *
 * On-disk format, in the spool directory:
 *
 * - `seg-<first seq, 16 digits>.jsonl`: one sample per line, as JSON with its `seq`, each line
 *   ending in "\n", seqs ascending. Only the newest segment is appended to; it is closed once it
 *   holds `segmentBytes` and the next one starts. A process never appends to a segment it did not
 *   create, so a line torn by a crash is always some segment's last line; reading skips it (and any
 *   other unreadable line) with a log line.
 * - `state.json`: `{"nextSeq": N, "acked": A}`, replaced atomically (write, fsync, rename) before
 *   segments are deleted and on close, so the counter survives even when no segment is left.
 *
 * A whole segment is deleted once every sample in it is acknowledged or dropped. The cap counts
 * bytes on disk: pending samples may use `maxBytes - segmentBytes`, which leaves room for the
 * oldest segment's already released lines. When full, the oldest pending samples are dropped and
 * counted. Each line is written at once (a process crash loses nothing); fdatasync runs at most
 * every `syncIntervalMs`, at rotation and on close (a power cut loses at most that much). When the
 * disk fails (full, read-only, gone), samples stay in memory under the same cap and it is logged
 * once; writing resumes, in a new segment, as soon as the disk works again.
 */
import { join } from "node:path";
import {
  readSegmentLines,
  recoverSpool,
  type Segment,
  segmentName,
  STATE_FILE,
} from "./spool_format.ts";
export { parseSegment, parseSpoolState } from "./spool_format.ts";
import type { UnnumberedSample } from "./sampler_types.ts";

/** Smallest accepted cap. */
export const MIN_SPOOL_BYTES = 4096;

export interface SpoolOptions {
  dir: string;
  /** Cap on the spool's bytes on disk (and on pending samples in memory). */
  maxBytes: number;
  log?: (message: string) => void;
  /** Most time between fdatasync calls while appending (default 10 s). */
  syncIntervalMs?: number;
  /**
   * Most bytes of pending samples kept in memory (default 4 MiB, about an hour at 1 s); older
   * ones are read back from their segment when they are sent. Samples the disk refused always
   * stay in memory (under `maxBytes`).
   */
  memoryMaxBytes?: number;
  /** Segment size (default maxBytes / 8, between 1 KiB and 1 MiB). */
  segmentBytes?: number;
  /** Checks a recovered sample; lines it rejects are skipped like torn ones. */
  isValidSample?: (value: unknown) => boolean;
  /** Clock, a seam for tests (default Date.now). */
  now?: () => number;
}

/** A batch of pending samples, as JSON text, in seq order. */
export interface SpoolBatch {
  lines: string[];
  firstSeq: number;
  lastSeq: number;
}

/** Unacknowledged samples, numbered, in memory and on disk. */
export interface Spool {
  /** The seq the next appended sample gets. */
  readonly nextSeq: number;
  /** Samples held (not yet acknowledged, not dropped). */
  readonly pendingCount: number;
  /** Bytes of the held samples. */
  readonly pendingBytes: number;
  /** Samples dropped because the cap was reached, since this spool was opened. */
  readonly dropped: number;
  /** Numbers `sample`, keeps it, returns its seq. */
  append(sample: UnnumberedSample): Promise<number>;
  /** Releases every sample with seq <= `seq`. */
  ack(seq: number): Promise<void>;
  /**
   * Adopts the master's view after `welcome`: drops samples with seq <= `lastSeq`; when this
   * spool's counter is behind (fresh state, machine known to the master), renumbers the held
   * samples and the counter to follow `lastSeq`.
   */
  rebase(lastSeq: number): Promise<void>;
  /**
   * Forgets those of the oldest `limit` held samples that `isValid` rejects (their disk copies
   * go with their segments); returns how many. For samples the master refuses, which would
   * otherwise block the stream.
   */
  removeInvalid(isValid: (value: unknown) => boolean, limit: number): Promise<number>;
  /** Up to `maxCount` held samples with seq > `afterSeq`, at most `maxBytes` (at least one). */
  batchAfter(afterSeq: number, maxCount: number, maxBytes: number): Promise<SpoolBatch | undefined>;
  /** True when a held sample has a seq > `afterSeq`. */
  hasAfter(afterSeq: number): boolean;
  /** Bytes of held samples currently in memory. */
  readonly memoryBytes: number;
  /** fdatasync the open segment and save the state file. */
  flush(): Promise<void>;
  /** flush() and close the open segment. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** Opens (and recovers) the spool in `options.dir`. */
export async function openSpool(options: SpoolOptions): Promise<Spool> {
  const { dir, maxBytes } = options;
  if (!Number.isFinite(maxBytes) || maxBytes < MIN_SPOOL_BYTES) {
    throw new RangeError(`Spool cap must be at least ${MIN_SPOOL_BYTES} bytes, got ${maxBytes}`);
  }
  const log = options.log ?? ((message: string) => console.error(message));
  const now = options.now ?? Date.now;
  const syncIntervalMs = options.syncIntervalMs ?? 10_000;
  const segmentBytes = options.segmentBytes ??
    Math.min(1024 * 1024, Math.max(1024, Math.floor(maxBytes / 8)));
  const budget = maxBytes - segmentBytes;
  const memoryMaxBytes = Math.min(options.memoryMaxBytes ?? 4 * 1024 * 1024, maxBytes);

  const recovered = await recoverSpool(dir, log, options.isValidSample);
  let nextSeq = recovered.nextSeq;
  let acked = recovered.acked;
  const segments = recovered.segments; // closed ones, oldest first; the open one is `active`
  // Pending samples, oldest first, from `head` on: seq, JSON text (undefined while only on
  // disk), size in bytes with the newline, and whether the disk holds it.
  let seqs = recovered.seqs;
  let sizes = recovered.sizes;
  let lines: (string | undefined)[] = sizes.map(() => undefined);
  let persisted: boolean[] = sizes.map(() => true);
  let head = 0;
  let pendingBytes = sizes.reduce((a, b) => a + b, 0);
  let memoryBytes = 0;
  /** Entries before this index are only on disk, or cannot leave memory. */
  let evictFrom = 0;
  let dropped = 0;
  let dropEpisode = 0;
  let active: (Segment & { file: Deno.FsFile }) | undefined;
  let lastSync = now();
  let diskFailing = false;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs spool operations one at a time, in call order. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  }

  function pendingCount(): number {
    return seqs.length - head;
  }

  function compact(): void {
    if (head > 1024 && head * 2 > seqs.length) {
      seqs = seqs.slice(head);
      lines = lines.slice(head);
      sizes = sizes.slice(head);
      persisted = persisted.slice(head);
      evictFrom = Math.max(0, evictFrom - head);
      head = 0;
    }
  }

  function releaseHead(count: number): void {
    for (let i = head; i < head + count; i++) {
      pendingBytes -= sizes[i];
      if (lines[i] !== undefined) memoryBytes -= sizes[i];
      lines[i] = undefined;
    }
    head += count;
    evictFrom = Math.max(evictFrom, head);
    compact();
  }

  /** Keeps only `keep` (indexes of pending entries, ascending) and recounts. */
  function keepOnly(keep: number[]): void {
    seqs = keep.map((i) => seqs[i]);
    lines = keep.map((i) => lines[i]);
    sizes = keep.map((i) => sizes[i]);
    persisted = keep.map((i) => persisted[i]);
    head = 0;
    evictFrom = 0;
    pendingBytes = sizes.reduce((a, b) => a + b, 0);
    memoryBytes = 0;
    for (let i = 0; i < seqs.length; i++) if (lines[i] !== undefined) memoryBytes += sizes[i];
  }

  /** Drops the text of the oldest pending samples that the disk holds, down to the memory cap. */
  function evict(): void {
    let i = Math.max(evictFrom, head);
    for (; i < seqs.length && memoryBytes > memoryMaxBytes; i++) {
      if (lines[i] !== undefined && persisted[i]) {
        lines[i] = undefined;
        memoryBytes -= sizes[i];
      }
    }
    evictFrom = i;
  }

  /** Reads back from disk the text of the pending entries in [start, end) that memory dropped. */
  async function hydrate(start: number, end: number): Promise<void> {
    const wanted = new Set<string>();
    const all = active ? [...segments, active] : segments;
    for (let i = start; i < end; i++) {
      if (lines[i] !== undefined) continue;
      const segment = all.findLast((s) => s.firstSeq <= seqs[i]);
      if (segment) wanted.add(segment.path);
    }
    for (const path of wanted) {
      const found = await readSegmentLines(path);
      for (let i = start; i < end; i++) {
        const line = lines[i] === undefined ? found.get(seqs[i]) : undefined;
        if (line !== undefined) {
          lines[i] = line;
          memoryBytes += sizes[i];
        }
      }
    }
    evictFrom = Math.min(evictFrom, start);
    const missing: number[] = [];
    for (let i = start; i < end; i++) if (lines[i] === undefined) missing.push(i);
    if (missing.length > 0) {
      log(`spool: ${missing.length} samples are gone from ${dir}; dropping them`);
      dropped += missing.length;
      const gone = new Set(missing);
      const keep: number[] = [];
      for (let i = head; i < seqs.length; i++) if (!gone.has(i)) keep.push(i);
      keepOnly(keep);
    }
  }

  async function saveState(): Promise<void> {
    const path = join(dir, STATE_FILE);
    const tmp = `${path}.tmp`;
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      await writeAll(file, encoder.encode(JSON.stringify({ nextSeq, acked }) + "\n"));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  }

  function diskFailed(action: string, error: unknown): void {
    if (!diskFailing) {
      log(
        `spool: cannot ${action} in ${dir}: ${describe(error)}; keeping unacknowledged samples ` +
          `in memory only until the disk works again`,
      );
    }
    diskFailing = true;
  }

  /** Deletes closed segments holding nothing pending. */
  async function deleteReleased(): Promise<void> {
    const oldestPending = pendingCount() > 0 ? seqs[head] : nextSeq;
    let count = 0;
    while (count < segments.length && segments[count].lastSeq < oldestPending) count++;
    if (count === 0) return;
    try {
      await saveState(); // the counter must outlive the segments
      for (const segment of segments.slice(0, count)) {
        await Deno.remove(segment.path).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
      segments.splice(0, count);
    } catch (error) {
      diskFailed("delete released segments", error);
    }
  }

  async function closeActive(sync: boolean): Promise<void> {
    if (!active) return;
    const { file, ...segment } = active;
    active = undefined;
    try {
      if (sync) await file.syncData();
    } catch (error) {
      diskFailed("sync", error);
    } finally {
      file.close();
    }
    if (segment.bytes > 0) segments.push(segment);
    else await Deno.remove(segment.path).catch(() => {});
  }

  /** Appends one line to the open segment; false when the disk refused it. */
  async function writeLine(seq: number, bytes: Uint8Array): Promise<boolean> {
    if (active && active.bytes > 0 && active.bytes + bytes.length > segmentBytes) {
      await closeActive(true);
      lastSync = now();
    }
    try {
      if (!active) {
        const path = join(dir, segmentName(seq));
        const file = await Deno.open(path, { write: true, create: true, truncate: true });
        active = { path, firstSeq: seq, lastSeq: seq, bytes: 0, file };
      }
      await writeAll(active.file, bytes);
      active.bytes += bytes.length;
      active.lastSeq = seq;
      if (now() - lastSync >= syncIntervalMs) {
        await active.file.syncData();
        lastSync = now();
      }
      if (diskFailing) log(`spool: writing to ${dir} again`);
      diskFailing = false;
      return true;
    } catch (error) {
      diskFailed("write", error);
      // Never append after a failed write: the next line starts a new segment.
      if (active) {
        const { file, ...segment } = active;
        active = undefined;
        try {
          file.close();
        } catch { /* already closed */ }
        segments.push(segment);
      }
      return false;
    }
  }

  function dropOldestFor(bytes: number): void {
    let count = 0;
    let freed = 0;
    const available = pendingBytes - budget + bytes;
    while (count < pendingCount() && freed < available) {
      freed += sizes[head + count];
      count++;
    }
    if (count === 0) return;
    if (dropEpisode === 0) {
      log(
        `spool: full (${maxBytes} bytes in ${dir}); dropping the oldest unacknowledged samples ` +
          `until the master catches up`,
      );
    }
    dropEpisode += count;
    dropped += count;
    releaseHead(count);
  }

  function endDropEpisode(): void {
    if (dropEpisode > 0) log(`spool: has room again; ${dropEpisode} samples were dropped`);
    dropEpisode = 0;
  }

  async function flushNow(): Promise<void> {
    try {
      if (active) await active.file.syncData();
      lastSync = now();
      await saveState();
    } catch (error) {
      diskFailed("flush", error);
    }
  }

  function firstIndexAfter(seq: number): number {
    let lo = head;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid] <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async function release(seq: number): Promise<void> {
    if (seq > acked) acked = seq;
    const count = firstIndexAfter(seq) - head;
    if (count > 0) {
      releaseHead(count);
      endDropEpisode();
    }
    await deleteReleased();
  }

  async function renumber(lastSeq: number): Promise<void> {
    await hydrate(head, seqs.length);
    const offset = lastSeq + 1 - (pendingCount() > 0 ? seqs[head] : nextSeq);
    log(
      `spool: the master already has seq ${lastSeq} for this machine but this worker's counter ` +
        `is at ${nextSeq} (fresh spool?); renumbering from ${lastSeq + 1}`,
    );
    const newSeqs: number[] = [];
    const newLines: string[] = [];
    const newSizes: number[] = [];
    for (let i = head; i < seqs.length; i++) {
      const seq = seqs[i] + offset;
      const line = JSON.stringify({ ...JSON.parse(lines[i]!), seq });
      newSeqs.push(seq);
      newLines.push(line);
      newSizes.push(encoder.encode(line).length + 1);
    }
    seqs = newSeqs;
    lines = newLines;
    sizes = newSizes;
    persisted = newSeqs.map(() => false);
    keepOnly(seqs.map((_, i) => i));
    nextSeq = Math.max(lastSeq + 1, nextSeq + offset);
    // Rewrite the disk copy: new segment first, then the state (acked covers every old seq),
    // then the old segments go. A crash in between at worst replays samples twice.
    await closeActive(false);
    const old = segments.splice(0, segments.length);
    for (let i = 0; i < seqs.length; i++) {
      persisted[i] = await writeLine(seqs[i], encoder.encode(lines[i] + "\n"));
    }
    evict();
    acked = lastSeq;
    try {
      if (active) await active.file.syncData();
      await saveState();
      for (const segment of old) await Deno.remove(segment.path).catch(() => {});
    } catch (error) {
      diskFailed("rewrite", error);
    }
  }

  return {
    get nextSeq() {
      return nextSeq;
    },
    get pendingCount() {
      return pendingCount();
    },
    get pendingBytes() {
      return pendingBytes;
    },
    get dropped() {
      return dropped;
    },
    get memoryBytes() {
      return memoryBytes;
    },
    append(sample) {
      return serial(async () => {
        const seq = nextSeq++;
        const { ts, ...rest } = sample;
        const line = JSON.stringify({ ts, seq, ...rest });
        const bytes = encoder.encode(line + "\n");
        if (pendingBytes + bytes.length > budget) dropOldestFor(bytes.length);
        seqs.push(seq);
        lines.push(line);
        sizes.push(bytes.length);
        persisted.push(false);
        pendingBytes += bytes.length;
        memoryBytes += bytes.length;
        const index = seqs.length - 1;
        const written = await writeLine(seq, bytes);
        if (seqs[index] === seq) persisted[index] = written; // not dropped meanwhile
        evict();
        if (dropEpisode > 0) await deleteReleased();
        return seq;
      });
    },
    ack(seq) {
      return serial(() => release(seq));
    },
    rebase(lastSeq) {
      return serial(() => nextSeq <= lastSeq ? renumber(lastSeq) : release(lastSeq));
    },
    removeInvalid(isValid, limit) {
      return serial(async () => {
        const end = Math.min(seqs.length, head + limit);
        await hydrate(head, end);
        const keep: number[] = [];
        for (let i = head; i < seqs.length; i++) {
          let valid = true;
          if (i < end) {
            try {
              valid = isValid(JSON.parse(lines[i]!));
            } catch {
              valid = false;
            }
          }
          if (valid) keep.push(i);
        }
        const removed = seqs.length - head - keep.length;
        if (removed > 0) keepOnly(keep);
        evict();
        return removed;
      });
    },
    batchAfter(afterSeq, maxCount, maxBytes) {
      return serial(async () => {
        for (let attempt = 0; attempt < 10; attempt++) {
          const start = firstIndexAfter(afterSeq);
          if (start >= seqs.length) return undefined;
          let end = start;
          let bytes = 0;
          let complete = true;
          while (end < seqs.length && end - start < maxCount) {
            if (end > start && bytes + sizes[end] > maxBytes) break;
            bytes += sizes[end];
            if (lines[end] === undefined) complete = false;
            end++;
          }
          if (!complete) {
            await hydrate(start, end);
            continue; // hydrate may have dropped lost samples: measure again
          }
          return {
            lines: lines.slice(start, end) as string[],
            firstSeq: seqs[start],
            lastSeq: seqs[end - 1],
          };
        }
        return undefined;
      });
    },
    hasAfter(afterSeq) {
      return seqs.length > head && seqs[seqs.length - 1] > afterSeq;
    },
    flush() {
      return serial(flushNow);
    },
    close() {
      return serial(async () => {
        await flushNow();
        await closeActive(false);
      });
    },
  };
}
