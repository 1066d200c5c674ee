/** `gridmon simulate` flags -> SimulateConfig. */
import { LIMITS } from "../protocol/limits.ts";
import type { Fault } from "../simulate/faults.ts";
import { parseFaultSpec } from "./fault_spec.ts";
import { UsageError } from "./errors.ts";
import { booleanOption, type OptionSpecs, readOptions, stringOption } from "./options.ts";
import { parseDuration, parseDurationInRange, parseInteger, parseMasterAddress } from "./values.ts";

export interface SimulateConfig {
  /** WebSocket URL of the master's ingest. */
  masterUrl: string;
  token: string;
  workers: number;
  intervalMs: number;
  /** Span of sample timestamps, from startMs; undefined: until stopped. */
  durationMs?: number;
  seed: string;
  faults: Fault[];
  faultsOut?: string;
  namePrefix: string;
  /** Timestamp of the first samples (ms). */
  startMs: number;
  /** Simulated ms per wall-clock ms; Infinity for `max`. */
  speed: number;
  help: boolean;
}

export const SIMULATE_OPTIONS: OptionSpecs = {
  master: { type: "string", env: true },
  token: { type: "string", env: true },
  workers: { type: "string" },
  interval: { type: "string" },
  duration: { type: "string" },
  seed: { type: "string" },
  faults: { type: "string" },
  "faults-out": { type: "string" },
  "name-prefix": { type: "string" },
  start: { type: "string" },
  speed: { type: "string" },
};

export const MAX_SIMULATED_WORKERS = 100_000;

export const SIMULATE_HELP =
  `gridmon simulate — a fleet of simulated machines streaming to a master over the real protocol

Usage:
  gridmon simulate --master URL --token T --workers N [options]

Options:
  --master ADDR       master address: HOST[:PORT] or ws(s)://HOST:PORT
  --token T           the master's join token
  --workers N         number of simulated machines, 1 to ${MAX_SIMULATED_WORKERS}
  --interval D        sampling interval, 100ms to 1h (default 1s)
  --duration D        span of simulated time to send, then stop (default: until interrupted)
  --seed S            everything (machines, series, random faults) follows from it (default 1)
  --name-prefix P     machine names are P-0000, P-0001, ... (default sim)
  --start T           time of the first samples: now (default), now-1h (or =-1h), epoch ms or ISO
  --speed X|max       simulated seconds per real second (default max)
  --faults SPEC       inject faults, comma-separated:
                        KIND@OFFSET+LENGTH:MACHINE  e.g. cpu@120s+60s:sim-0003 or memleak@5m+3m:10
                        random:K                    K faults on K machines, drawn from the seed,
                                                    within --duration (or between a past --start and now)
                      KIND: cpu, memleak, disk, net; OFFSET counts from --start
  --faults-out FILE   write the injected faults as JSON [{kind, machineId, name, process, start, end}]
  -h, --help          show this help

Time: a sample is sent once the simulated clock, min(now, start + elapsed x speed), reaches
its timestamp, and never before the master acknowledged enough of the previous ones. With
--speed max (the default) everything between --start and now goes out as fast as the master
acknowledges it, then one sample per interval, live; --speed 60 replays an hour per minute until
it catches up with now. Example, an hour of history then live data:
  gridmon simulate --master localhost --token T --workers 100 --start now-1h

Machine ids follow from --seed and --name-prefix: two simulators feeding one master need a
different seed or prefix, or they take each other's connections over.

GRIDMON_MASTER and GRIDMON_TOKEN are read when the flags are absent.
`;

const NAME_PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Parses `now`, `now-1h`, `-1h`, epoch milliseconds or an ISO date into ms. Throws UsageError. */
export function parseStart(text: string, now: number): number {
  const value = text.trim();
  if (value === "now") return now;
  const relative = /^(?:now)?-(.+)$/.exec(value);
  if (relative) return now - parseDuration(relative[1], "start");
  if (/^\d+$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `--start: "${text}" is not a time (examples: now, now-1h, 1763700000000, 2026-11-21T06:00:00Z)`,
  );
}

/** Parses `max` or a positive number of simulated seconds per real second. */
export function parseSpeed(text: string): number {
  const value = text.trim();
  if (value === "max") return Infinity;
  const speed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(speed > 0) || speed > 1e6) {
    throw new UsageError(`--speed: "${text}" is not max or a number above 0 (up to 1000000)`);
  }
  return speed;
}

/** Parses simulate argv + environment into a SimulateConfig. Throws UsageError. */
export function parseSimulateArgs(
  argv: string[],
  env: Record<string, string | undefined>,
  now = Date.now(),
): SimulateConfig {
  const values = readOptions("simulate", argv, SIMULATE_OPTIONS, env);
  const help = booleanOption(values, "help");
  const master = stringOption(values, "master");
  const token = stringOption(values, "token");
  const workersText = stringOption(values, "workers");
  if (help) {
    return {
      masterUrl: "",
      token: "",
      workers: 0,
      intervalMs: 1000,
      seed: "1",
      faults: [],
      namePrefix: "sim",
      startMs: now,
      speed: Infinity,
      help,
    };
  }
  if (master === undefined) throw new UsageError("simulate: --master is required");
  if (token === undefined || token === "") throw new UsageError("simulate: --token is required");
  if (token.length > LIMITS.maxTokenLength) {
    throw new UsageError(`--token: longer than ${LIMITS.maxTokenLength} characters`);
  }
  if (workersText === undefined) throw new UsageError("simulate: --workers is required");
  const workers = parseInteger(workersText, "workers", 1, MAX_SIMULATED_WORKERS);
  const durationText = stringOption(values, "duration");
  const durationMs = durationText === undefined
    ? undefined
    : parseDuration(durationText, "duration");
  if (durationMs !== undefined && durationMs <= 0) {
    throw new UsageError("--duration: must be longer than 0");
  }
  const seed = stringOption(values, "seed", "1");
  if (seed.trim() === "" || seed.length > 128) {
    throw new UsageError("--seed: must be 1 to 128 characters");
  }
  const namePrefix = stringOption(values, "name-prefix", "sim");
  if (!NAME_PREFIX_RE.test(namePrefix)) {
    throw new UsageError(
      `--name-prefix: "${namePrefix}" must be 1 to 63 letters, digits, dots, dashes or underscores`,
    );
  }
  const startMs = parseStart(stringOption(values, "start", "now"), now);
  const faultsText = stringOption(values, "faults");
  const faults = faultsText === undefined ? [] : parseFaultSpec(faultsText, {
    seed,
    namePrefix,
    workers,
    startMs,
    // Without --duration, a run from the past places random faults in the back-filled part.
    durationMs: durationMs ?? (startMs < now ? now - startMs : undefined),
  });
  const faultsOut = stringOption(values, "faults-out");
  if (faultsOut !== undefined && faultsOut.trim() === "") {
    throw new UsageError("--faults-out: needs a file name");
  }
  return {
    masterUrl: parseMasterAddress(master),
    token,
    workers,
    intervalMs: parseDurationInRange(
      stringOption(values, "interval", "1s"),
      "interval",
      100,
      3_600_000,
    ),
    durationMs,
    seed,
    faults,
    faultsOut,
    namePrefix,
    startMs,
    speed: parseSpeed(stringOption(values, "speed", "max")),
    help,
  };
}
