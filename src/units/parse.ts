/**
 * Parsers of the values people type: durations and sizes, for the command line, the alert rules
 * and the API alike. Each throws a ValueError that says what is wrong with the text; the caller
 * adds where it came from (a flag, a line of a file, a request field).
 */

/** The text is not a value of the kind asked for. */
export class ValueError extends Error {
  override name = "ValueError";
}

/** Milliseconds per unit of a duration (`250ms`, `5m`, `2w`). */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `250ms`, `1s`, `5m`, `48h`, `30d`, `2w` (a bare number means seconds) into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!match) {
    throw new ValueError(`"${text}" is not a duration (examples: 500ms, 1s, 5m, 48h, 30d)`);
  }
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? "s"]);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** Parses `64MiB`, `100MB`, `1GiB`, `4096` into bytes. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match?.[2].toLowerCase() ?? "";
  if (!match || !(unit in SIZE_UNITS)) {
    throw new ValueError(`"${text}" is not a size (examples: 64MiB, 500MB, 2GiB)`);
  }
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]);
}
