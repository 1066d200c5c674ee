/**
 * The spool's on-disk format (described in spool.ts): segment names, the state file, and reading
 * a spool directory back after a restart or a crash. The parsers are pure.
 */
import { join } from "node:path";

/** One segment file and the seqs it holds. */
export interface Segment {
  path: string;
  firstSeq: number;
  lastSeq: number;
  bytes: number;
}

export const SEGMENT_RE = /^seg-(\d{16})\.jsonl$/;
/** Name of the state file in the spool directory. */
export const STATE_FILE = "state.json";
const encoder = new TextEncoder();

/** File name of the segment whose first sample has `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, "0")}.jsonl`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What a spool directory held: the state file, and the seq and size (bytes with its newline) of
 * every readable sample. The samples themselves stay on disk until they are sent.
 */
export interface RecoveredSpool {
  nextSeq: number;
  acked: number;
  segments: Segment[];
  seqs: number[];
  sizes: number[];
}

/**
 * Pure: parses one segment's text into its samples. Returns the kept lines and how many were
 * skipped (unparsable, torn, not a sample, or not after `afterSeq`).
 */
export function parseSegment(
  text: string,
  afterSeq: number,
  isValidSample?: (value: unknown) => boolean,
): { seqs: number[]; lines: string[]; skipped: number; maxSeq: number } {
  const seqs: number[] = [];
  const lines: string[] = [];
  let skipped = 0;
  let maxSeq = -1;
  let last = afterSeq;
  const parts = text.split("\n");
  // A complete file ends in "\n": the final part is then empty. A non-empty one is torn.
  for (let i = 0; i < parts.length; i++) {
    const line = parts[i];
    if (line === "") continue;
    if (i === parts.length - 1) {
      skipped++;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const seq = (value as { seq?: unknown } | null)?.seq;
    if (
      typeof value !== "object" || value === null || !Number.isSafeInteger(seq) ||
      (seq as number) < 0 || (isValidSample && !isValidSample(value))
    ) {
      skipped++;
      continue;
    }
    maxSeq = Math.max(maxSeq, seq as number);
    if ((seq as number) <= last) continue; // acknowledged already, or out of order
    last = seq as number;
    seqs.push(last);
    lines.push(line);
  }
  return { seqs, lines, skipped, maxSeq };
}

/** The samples of one segment file, by seq (an empty map when the file is gone). */
export async function readSegmentLines(path: string): Promise<Map<number, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  const parsed = parseSegment(text, -1);
  return new Map(parsed.seqs.map((seq, i) => [seq, parsed.lines[i]]));
}

/** Pure: parses `state.json`. Throws SyntaxError on anything but the expected shape. */
export function parseSpoolState(text: string): { nextSeq: number; acked: number } {
  const value = JSON.parse(text);
  const { nextSeq, acked } = value ?? {};
  if (!Number.isSafeInteger(nextSeq) || nextSeq < 0 || !Number.isSafeInteger(acked) || acked < -1) {
    throw new SyntaxError(`Cannot parse spool state: expected {"nextSeq": N, "acked": A}`);
  }
  return { nextSeq, acked };
}

/** Reads a spool directory (creating it when missing). Unreadable lines are skipped and logged. */
export async function recoverSpool(
  dir: string,
  log: (message: string) => void,
  isValidSample?: (value: unknown) => boolean,
): Promise<RecoveredSpool> {
  await Deno.mkdir(dir, { recursive: true });
  let nextSeq = 0;
  let acked = -1;
  try {
    ({ nextSeq, acked } = parseSpoolState(await Deno.readTextFile(join(dir, STATE_FILE))));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      log(`spool: ignoring ${join(dir, STATE_FILE)}: ${describe(error)}`);
    }
  }
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && SEGMENT_RE.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const segments: Segment[] = [];
  const seqs: number[] = [];
  const sizes: number[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const text = await Deno.readTextFile(path);
    const parsed = parseSegment(text, Math.max(acked, seqs.at(-1) ?? -1), isValidSample);
    if (parsed.skipped > 0) {
      log(`spool: skipped ${parsed.skipped} unreadable line(s) in ${path} (torn by a crash?)`);
    }
    nextSeq = Math.max(nextSeq, parsed.maxSeq + 1);
    seqs.push(...parsed.seqs);
    for (const line of parsed.lines) sizes.push(encoder.encode(line).length + 1);
    const firstSeq = Number(SEGMENT_RE.exec(name)![1]);
    segments.push({
      path,
      firstSeq,
      lastSeq: Math.max(parsed.maxSeq, firstSeq),
      bytes: encoder.encode(text).length,
    });
  }
  return { nextSeq, acked, segments, seqs, sizes };
}
