/** `gridmon worker`: print samples locally, or stream them to a master until SIGINT/SIGTERM. */
import { untilSignal } from "../cli/signals.ts";
import { UsageError } from "../cli/errors.ts";
import { ensureWritableDir } from "../cli/writable_dir.ts";
import { fmtDurationCompact as formatDuration } from "../units/format.ts";
import { parseWorkerArgs, WORKER_HELP, type WorkerConfig } from "../cli/worker_args.ts";
import { startAgent } from "./agent.ts";
import { createSampler } from "./sampler.ts";
import type { Sampler } from "./sampler_types.ts";
import { MIN_SPOOL_BYTES } from "./spool.ts";
import { startTicker } from "./ticker.ts";

function log(message: string): void {
  console.error(`gridmon worker: ${message}`);
}

function printLine(sample: object, seq: number): void {
  const { ts, ...rest } = sample as { ts: number };
  console.log(JSON.stringify({ ts, seq, ...rest }));
}

/** The wait between the two reads of `--print --once`. */
function onceWaitMs(config: WorkerConfig): number {
  return Math.min(config.intervalMs, 1000);
}

/**
 * `--print`: one JSON sample per line on stdout. `--once` prints a single sample; it reads twice,
 * a short interval apart, so its rates are measured instead of null.
 */
async function printSamples(sampler: Sampler, config: WorkerConfig): Promise<void> {
  if (config.once) {
    await sampler.read();
    await new Promise((resolve) => setTimeout(resolve, onceWaitMs(config)));
    printLine(await sampler.read(), 0);
    return;
  }
  let seq = 0;
  const ticker = startTicker(config.intervalMs, async () => {
    printLine(await sampler.read(), seq++);
  });
  await untilSignal();
  ticker.stop();
}

/** Entry point of `gridmon worker` (see WORKER_HELP). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const config = parseWorkerArgs(argv, env);
  if (config.help) {
    console.log(WORKER_HELP);
    return;
  }
  // --once scans the processes at both of its reads.
  const wait = onceWaitMs(config);
  const processes = config.processes &&
    (config.once
      ? { ...config.processes, intervalMs: wait, sampleIntervalMs: wait }
      : { ...config.processes, sampleIntervalMs: config.intervalMs });
  const sampler = createSampler({
    processes,
    procRoot: config.procRoot,
    sysRoot: config.sysRoot,
    netExclude: config.netExclude,
    netInclude: config.netInclude,
    stateDir: config.spoolDir,
    machineId: config.machineId,
    log,
  });
  if (config.print) return await printSamples(sampler, config);
  if (config.spoolMaxBytes < MIN_SPOOL_BYTES) {
    throw new UsageError(`--spool-max: must be at least ${MIN_SPOOL_BYTES} bytes`);
  }
  await ensureWritableDir(config.spoolDir, "spool");
  const agent = await startAgent({
    sampler,
    masterUrl: config.masterUrl!,
    token: config.token,
    name: config.name,
    intervalMs: config.intervalMs,
    spoolDir: config.spoolDir,
    spoolMaxBytes: config.spoolMaxBytes,
    log,
  });
  log(
    `sampling every ${formatDuration(config.intervalMs)}, streaming to ${config.masterUrl}, ` +
      `spool ${config.spoolDir} (cap ${config.spoolMaxBytes} bytes)`,
  );
  const signal = await untilSignal();
  log(`${signal}: flushing the spool and closing the connection`);
  await agent.stop();
}
