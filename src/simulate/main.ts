/** `gridmon simulate`: a fleet of simulated machines streaming to a master. */
import { parseSimulateArgs, SIMULATE_HELP, type SimulateConfig } from "../cli/simulate_args.ts";
import type { Fault } from "./faults.ts";
import { type FleetStats, startFleet } from "./fleet.ts";
import { createMachineModel, type MachineModel } from "./machine_model.ts";

/** Entry point of `gridmon simulate`. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<void> {
  const config = parseSimulateArgs(argv, env);
  if (config.help) {
    console.log(SIMULATE_HELP);
    return;
  }
  const stop = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    await runSimulation(config, { signal: stop.signal });
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
  // The simulation is over (acknowledged samples counted, "done" logged). A master still busy
  // with a back-fill can take long to answer the close frames of the last connections; nothing
  // is left to wait for, so do not keep the person who pressed Ctrl-C waiting on them.
  Deno.exit(0);
}

export interface SimulationOptions {
  /** Stops the simulation when aborted. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How often a progress line is logged (default 10 s; 0 for never). */
  progressMs?: number;
  /** Called for every acknowledged sample with its timestamp and the time its ack arrived. */
  onAck?: (ts: number, ackedAt: number) => void;
}

/** The models of every machine of a simulation, faults included. */
export function buildModels(config: SimulateConfig): MachineModel[] {
  return Array.from(
    { length: config.workers },
    (_, i) =>
      createMachineModel(config.seed, i, {
        namePrefix: config.namePrefix,
        faults: config.faults,
        intervalMs: config.intervalMs,
      }),
  );
}

/** Writes the injected faults as a JSON array, for scoring detection against them. */
export async function writeFaults(path: string, faults: readonly Fault[]): Promise<void> {
  const records = faults.map(({ kind, machineId, name, start, end, process }) => ({
    kind,
    machineId,
    name,
    process,
    start,
    end,
  }));
  await Deno.writeTextFile(path, JSON.stringify(records, null, 2) + "\n");
}

/**
 * Runs a simulation until its duration is sent and acknowledged, or until `signal` aborts.
 * Rejects when the master refuses the token.
 */
export async function runSimulation(
  config: SimulateConfig,
  options: SimulationOptions = {},
): Promise<FleetStats> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (config.faultsOut !== undefined) await writeFaults(config.faultsOut, config.faults);
  for (const f of config.faults) {
    log(
      `simulate: fault ${f.kind} on ${f.name} from ${new Date(f.start).toISOString()} to ${
        new Date(f.end).toISOString()
      }`,
    );
  }
  const endMs = config.durationMs === undefined ? undefined : config.startMs + config.durationMs;
  const speed = config.speed === Infinity ? "max" : `${config.speed}x`;
  log(
    `simulate: ${config.workers} machines -> ${config.masterUrl} (seed ${config.seed}, every ${config.intervalMs} ms, from ${
      new Date(config.startMs).toISOString()
    }${endMs === undefined ? "" : ` to ${new Date(endMs).toISOString()}`}, speed ${speed})`,
  );
  const fleet = startFleet({
    url: config.masterUrl,
    token: config.token,
    models: buildModels(config),
    intervalMs: config.intervalMs,
    startMs: config.startMs,
    endMs,
    speed: config.speed,
    log,
    onAck: options.onAck,
  });
  const onAbort = () => fleet.stop();
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) onAbort();
  let lastAcked = 0;
  let lastTime = Date.now();
  const progressMs = options.progressMs ?? 10_000;
  const progress = progressMs > 0
    ? setInterval(() => {
      const now = Date.now();
      const rate = ((fleet.stats.acked - lastAcked) * 1000) / Math.max(1, now - lastTime);
      lastAcked = fleet.stats.acked;
      lastTime = now;
      log(`simulate: ${describe(fleet.stats, fleet.unacked())}, ${Math.round(rate)}/s`);
    }, progressMs)
    : undefined;
  try {
    await fleet.done;
  } finally {
    clearInterval(progress);
    options.signal?.removeEventListener("abort", onAbort);
  }
  log(`simulate: done, ${describe(fleet.stats, fleet.unacked())}`);
  return fleet.stats;
}

function describe(stats: FleetStats, unacked: number): string {
  return `${stats.connected}/${stats.machines} connected, ${stats.acked} samples acknowledged, ${unacked} unacknowledged, ${stats.reconnects} reconnects`;
}
