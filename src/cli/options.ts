/**
 * Generic option reading: flags (node:util parseArgs, strict) win over GRIDMON_* environment
 * variables, which win over defaults. Per-mode files turn the raw strings into typed configs.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** One flag of a mode. Boolean flags take no value; string flags take exactly one. */
export interface OptionSpec {
  type: "string" | "boolean";
  /** Read GRIDMON_<NAME> (upper snake case) from the environment when the flag is absent. */
  env?: boolean;
  short?: string;
  /** May be given several times (strings only); values accumulate. */
  multiple?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type RawOptions = Record<string, string | boolean | string[] | undefined>;

/** The environment variable a flag reads: `spool-max` -> `GRIDMON_SPOOL_MAX`. */
export function envName(flag: string): string {
  return `GRIDMON_${flag.replaceAll("-", "_").toUpperCase()}`;
}

/**
 * Parses `argv` against `specs`, filling gaps from `env`. Throws UsageError on an unknown flag,
 * a missing value or a stray positional argument.
 */
export function readOptions(
  mode: string,
  argv: string[],
  specs: OptionSpecs,
  env: Record<string, string | undefined>,
): RawOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...specs, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${mode}: ${describeParseError(error)}`);
  }
  const values: RawOptions = { ...parsed.values };
  for (const [flag, spec] of Object.entries(specs)) {
    if (values[flag] !== undefined || !spec.env) continue;
    const fromEnv = env[envName(flag)];
    if (fromEnv === undefined || fromEnv === "") continue;
    if (spec.type === "boolean") {
      if (!/^(1|0|true|false|yes|no)$/i.test(fromEnv)) {
        throw new UsageError(`${envName(flag)}: "${fromEnv}" is not true or false`);
      }
      values[flag] = /^(1|true|yes)$/i.test(fromEnv);
    } else {
      values[flag] = spec.multiple ? fromEnv.split(",") : fromEnv;
    }
  }
  return values;
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}"`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.split("\n")[0];
}

/** The string value of a flag, or `fallback`. */
export function stringOption(values: RawOptions, flag: string, fallback: string): string;
export function stringOption(values: RawOptions, flag: string): string | undefined;
export function stringOption(
  values: RawOptions,
  flag: string,
  fallback?: string,
): string | undefined {
  const value = values[flag];
  if (Array.isArray(value)) return value.at(-1) ?? fallback;
  return typeof value === "string" ? value : fallback;
}

/** True when a boolean flag is set. */
export function booleanOption(values: RawOptions, flag: string): boolean {
  return values[flag] === true;
}
