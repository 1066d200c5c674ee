/**
 * The `--faults` spec of `gridmon simulate` -> faults with absolute times.
 *
 * Spec syntax (comma-separated, may be mixed):
 *   KIND@OFFSET+LENGTH:MACHINE   e.g. cpu@120s+60s:sim-0003 (MACHINE: a name or an index)
 *   random:K                     K machines, kinds and times drawn from the seed
 * KIND is cpu, memleak, disk or net; OFFSET counts from the simulation's start.
 */
import { UsageError } from "./errors.ts";
import { parseDuration } from "./values.ts";
import {
  culpritOf,
  type Fault,
  FAULT_KINDS,
  type FaultContext,
  type FaultKind,
  randomFaults,
} from "../simulate/faults.ts";
import { machineIdFor, machineName } from "../simulate/machine_model.ts";

const SPEC_RE = /^([a-z]+)@([^+:]+)\+([^:]+):(.+)$/;

/** Parses a `--faults` spec into faults with absolute times. Throws UsageError. */
export function parseFaultSpec(spec: string, ctx: FaultContext): Fault[] {
  const parts = spec.split(",").map((p) => p.trim());
  if (parts.every((p) => p === "")) throw new UsageError("--faults: the spec is empty");
  const faults: Fault[] = [];
  for (const part of parts) {
    if (part === "") throw new UsageError(`--faults: empty entry in "${spec}"`);
    const random = /^random:(.*)$/.exec(part);
    if (random) {
      faults.push(...randomFaults(parseCount(random[1], ctx), withDuration(ctx)));
      continue;
    }
    faults.push(parseOneFault(part, ctx));
  }
  return faults.sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
}

function parseCount(text: string, ctx: FaultContext): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--faults: "random:${text}" needs a whole number of faults >= 1`);
  }
  const count = Number(text);
  if (count > ctx.workers) {
    throw new UsageError(
      `--faults: random:${count} asks for more faults than the ${ctx.workers} machines`,
    );
  }
  return count;
}

function withDuration(ctx: FaultContext): FaultContext & { durationMs: number } {
  const durationMs = ctx.durationMs;
  if (durationMs === undefined) {
    throw new UsageError(
      "--faults: random:K needs --duration or a --start in the past, to place the faults within the run",
    );
  }
  if (durationMs < 60_000) {
    throw new UsageError(
      "--faults: random:K needs a --duration (or a --start in the past) of 60s or more",
    );
  }
  return { ...ctx, durationMs };
}

function parseOneFault(part: string, ctx: FaultContext): Fault {
  const match = SPEC_RE.exec(part);
  if (!match) {
    throw new UsageError(
      `--faults: "${part}" is not KIND@OFFSET+LENGTH:MACHINE or random:K (example: cpu@120s+60s:${
        machineName(ctx.namePrefix, 3)
      })`,
    );
  }
  const [, kind, offsetText, lengthText, machine] = match;
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(
      `--faults: unknown fault kind "${kind}" in "${part}" (expected ${FAULT_KINDS.join(", ")})`,
    );
  }
  const offset = parseDuration(offsetText, "faults");
  const length = parseDuration(lengthText, "faults");
  if (length <= 0) throw new UsageError(`--faults: "${part}" must last longer than 0`);
  if (ctx.durationMs !== undefined && offset >= ctx.durationMs) {
    throw new UsageError(`--faults: "${part}" starts after the simulation ends`);
  }
  const index = resolveMachine(machine, ctx);
  return {
    kind: kind as FaultKind,
    machineId: machineIdFor(ctx.seed, ctx.namePrefix, index),
    name: machineName(ctx.namePrefix, index),
    process: culpritOf(kind as FaultKind, index, ctx),
    start: ctx.startMs + offset,
    end: ctx.startMs + offset + length,
  };
}

function resolveMachine(text: string, ctx: FaultContext): number {
  const prefix = `${ctx.namePrefix}-`;
  let index = NaN;
  if (/^\d+$/.test(text)) index = Number(text);
  else if (text.startsWith(prefix) && /^\d+$/.test(text.slice(prefix.length))) {
    index = Number(text.slice(prefix.length));
  }
  if (!Number.isInteger(index) || index >= ctx.workers) {
    const last = machineName(ctx.namePrefix, ctx.workers - 1);
    throw new UsageError(
      `--faults: machine "${text}" does not exist (machines are ${
        machineName(ctx.namePrefix, 0)
      } to ${last}, or their index 0 to ${ctx.workers - 1})`,
    );
  }
  return index;
}
