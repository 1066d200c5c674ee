/** The worker's process-collection flags -> ProcessConfig. */
import { UsageError } from "./errors.ts";
import { booleanOption, type OptionSpecs, type RawOptions, stringOption } from "./options.ts";
import { formatDuration, parseDurationInRange, parseInteger } from "./values.ts";

/** How the worker scans processes (absent: `--process-interval off`). */
export interface ProcessConfig {
  /** Time between scans; never shorter than the sample interval. */
  intervalMs: number;
  /** Entries per ranking (CPU, memory, disk read, disk write); 0: counts and watch list only. */
  top: number;
  /** Names (Linux `comm`) always reported, running or not. */
  watch: string[];
  /** Report full command lines of the listed processes (they can carry secrets). */
  cmdline: boolean;
}

export const PROCESS_OPTIONS: OptionSpecs = {
  "process-interval": { type: "string", env: true },
  "process-top": { type: "string", env: true },
  "process-cmdline": { type: "boolean" },
  "watch-process": { type: "string", env: true },
};

export const PROCESS_HELP =
  `  --process-interval D   time between process scans, at least --interval, or off (default 5s)
  --process-top N        processes reported per ranking: CPU, memory, disk read, disk write,
                         0 to 100 (default 10)
  --process-cmdline      also report full command lines (they can carry passwords: opt-in)
  --watch-process LIST   process names always reported, running or not (nginx,postgres)`;

export const DEFAULT_PROCESS_INTERVAL_MS = 5_000;
export const DEFAULT_PROCESS_TOP = 10;
export const MAX_PROCESS_TOP = 100;
export const MAX_WATCHED_NAMES = 64;
/** Linux keeps the first 15 bytes of a process name (TASK_COMM_LEN - 1). */
export const MAX_PROCESS_NAME_BYTES = 15;
const MAX_PROCESS_INTERVAL_MS = 3_600_000;

/** Splits and checks `--watch-process nginx,postgres`. */
export function parseWatchList(text: string): string[] {
  const names = text.split(",").map((name) => name.trim());
  const flag = "--watch-process";
  if (names.some((name) => name === "")) {
    throw new UsageError(`${flag}: "${text}" has an empty name (example: nginx,postgres)`);
  }
  for (const name of names) {
    if (new TextEncoder().encode(name).length > MAX_PROCESS_NAME_BYTES) {
      throw new UsageError(
        `${flag}: "${name}" is longer than ${MAX_PROCESS_NAME_BYTES} bytes; Linux names a ` +
          `process by the first ${MAX_PROCESS_NAME_BYTES} bytes of its executable's name`,
      );
    }
  }
  const unique = [...new Set(names)];
  if (unique.length > MAX_WATCHED_NAMES) {
    throw new UsageError(`${flag}: ${unique.length} names, at most ${MAX_WATCHED_NAMES}`);
  }
  return unique;
}

/** What a worker without process flags does (the master's own local worker uses it). */
export function defaultProcessConfig(sampleIntervalMs: number): ProcessConfig {
  return parseProcessOptions({}, sampleIntervalMs)!;
}

/** Reads the process flags; `sampleIntervalMs` is the worker's --interval. */
export function parseProcessOptions(
  values: RawOptions,
  sampleIntervalMs: number,
): ProcessConfig | undefined {
  const interval = stringOption(values, "process-interval");
  if (interval?.trim() === "off") return undefined;
  let intervalMs = Math.max(DEFAULT_PROCESS_INTERVAL_MS, sampleIntervalMs);
  if (interval !== undefined) {
    intervalMs = parseDurationInRange(
      interval,
      "process-interval",
      0,
      MAX_PROCESS_INTERVAL_MS,
    );
    if (intervalMs < sampleIntervalMs) {
      throw new UsageError(
        `--process-interval: ${interval} is shorter than --interval ` +
          `(${formatDuration(sampleIntervalMs)}); processes are scanned at most once per sample`,
      );
    }
  }
  const top = stringOption(values, "process-top");
  const watch = stringOption(values, "watch-process");
  return {
    intervalMs,
    top: top === undefined
      ? DEFAULT_PROCESS_TOP
      : parseInteger(top, "process-top", 0, MAX_PROCESS_TOP),
    watch: watch === undefined ? [] : parseWatchList(watch),
    cmdline: booleanOption(values, "process-cmdline"),
  };
}
