/** Pure parsers for flag values. Each throws UsageError naming the flag. */
import { UsageError } from "./errors.ts";
import { fmtDurationCompact } from "../units/format.ts";
import * as units from "../units/parse.ts";

/** Runs a neutral parser; its ValueError becomes a UsageError naming the flag. */
function forFlag<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof units.ValueError) throw new UsageError(`--${flag}: ${error.message}`);
    throw error;
  }
}

/** Parses `250ms`, `1s`, `5m`, `48h`, `30d`, `2w` (a bare number means seconds) into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  return forFlag(flag, () => units.parseDuration(text));
}

/** Parses a duration and checks it lies within [minMs, maxMs]. */
export function parseDurationInRange(
  text: string,
  flag: string,
  minMs: number,
  maxMs: number,
): number {
  const ms = parseDuration(text, flag);
  if (ms < minMs || ms > maxMs) {
    throw new UsageError(
      `--${flag}: ${text} is out of range (${formatDuration(minMs)} to ${formatDuration(maxMs)})`,
    );
  }
  return ms;
}

/** Formats milliseconds compactly: 250ms, 1s, 5m, 1h, 2d. */
export const formatDuration = fmtDurationCompact;

/** Parses `64MiB`, `100MB`, `1GiB`, `4096` into bytes. */
export function parseSize(text: string, flag: string): number {
  return forFlag(flag, () => units.parseSize(text));
}

/** Parses a whole number within [min, max]. */
export function parseInteger(text: string, flag: string, min: number, max: number): number {
  if (!/^\s*-?\d+\s*$/.test(text)) {
    throw new UsageError(`--${flag}: "${text}" is not a whole number`);
  }
  const value = Number(text);
  if (value < min || value > max) {
    throw new UsageError(`--${flag}: ${value} is out of range (${min} to ${max})`);
  }
  return value;
}

/** Parses a TCP port (1..65535; 0 is allowed when `allowZero`, meaning "any free port"). */
export function parsePort(text: string, flag: string, allowZero = false): number {
  return parseInteger(text, flag, allowZero ? 0 : 1, 65535);
}

/** Default master port. */
export const DEFAULT_PORT = 7863;

/**
 * Turns what a user types for `--master` into the worker's WebSocket URL:
 * `HOST`, `HOST:PORT`, `[v6]:PORT`, a bare IPv6 address, `ws://`/`wss://`/`http(s)://HOST:PORT`.
 */
export function parseMasterAddress(text: string, flag = "master"): string {
  const value = text.trim();
  const bad = () =>
    new UsageError(
      `--${flag}: "${text}" is not a master address (examples: 192.168.1.101, host:7863, ws://host:7863)`,
    );
  if (value === "") throw bad();
  let url: URL;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      url = new URL(value);
    } else if (!value.startsWith("[") && (value.match(/:/g) ?? []).length > 1) {
      url = new URL(`ws://[${value}]`); // a bare IPv6 address
    } else {
      url = new URL(`ws://${value}`);
    }
  } catch {
    throw bad();
  }
  const scheme = { "ws:": "ws:", "http:": "ws:", "wss:": "wss:", "https:": "wss:" }[url.protocol];
  if (!scheme || !url.hostname || url.username || url.password || url.search || url.hash) {
    throw bad();
  }
  const port = url.port || (/^(wss|https):/.test(value) ? "443" : String(DEFAULT_PORT));
  const path = url.pathname === "/" || url.pathname === "" ? "/ws/worker" : url.pathname;
  return `${scheme}//${url.hostname}:${port}${path}`;
}
