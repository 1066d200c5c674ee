/**
 * The streaming worker: samples on every interval boundary, numbers and spools each sample, and
 * lets the connection stream the spool to the master. Sampling never waits for the network.
 */
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { GRIDMON_VERSION } from "../version.ts";
import type { Backoff } from "./backoff.ts";
import {
  type Connection,
  type ConnectionState,
  DEFAULT_MAX_IN_FLIGHT,
  startConnection,
} from "./connection.ts";
import type { Sampler } from "./sampler_types.ts";
import { openSpool, type Spool } from "./spool.ts";
import { startTicker } from "./ticker.ts";

export interface AgentOptions {
  sampler: Sampler;
  /** ws(s):// URL of the master's `/ws/worker`. */
  masterUrl: string;
  token?: string;
  name?: string;
  intervalMs: number;
  spoolDir: string;
  spoolMaxBytes: number;
  log?: (message: string) => void;
  /** Seams for tests; production uses the defaults of startConnection. */
  backoff?: Backoff;
  refusedRetryMs?: number;
  /** fdatasync period of the spool (default 10 s). */
  syncIntervalMs?: number;
}

/** A running worker. */
export interface Agent {
  readonly spool: Spool;
  readonly connectionState: ConnectionState;
  /** Stops sampling, closes the socket with 1000 and flushes the spool. */
  stop(): Promise<void>;
}

/**
 * After the master rejected a frame: checks the held samples with the protocol's schema (loaded
 * only now, zod being heavy for a worker that otherwise never needs it) and forgets the invalid.
 */
async function removeInvalidSamples(spool: Spool, log: (message: string) => void): Promise<void> {
  const { SampleSchema } = await import("../protocol/sample.ts");
  const removed = await spool.removeInvalid(
    (value) => SampleSchema.safeParse(value).success,
    DEFAULT_MAX_IN_FLIGHT, // a rejected frame lies within what can be in flight
  );
  if (removed > 0) log(`spool: removed ${removed} samples the master cannot accept`);
}

/** Starts sampling and streaming. Rejects when the spool or host info cannot be read. */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log ?? ((message: string) => console.error(`gridmon worker: ${message}`));
  const host = await options.sampler.host();
  const spool = await openSpool({
    dir: options.spoolDir,
    maxBytes: options.spoolMaxBytes,
    log,
    syncIntervalMs: options.syncIntervalMs,
  });
  if (spool.pendingCount > 0) {
    log(`spool: ${spool.pendingCount} unacknowledged samples from ${options.spoolDir} to replay`);
  }
  const connection: Connection = startConnection({
    url: options.masterUrl,
    spool,
    log,
    backoff: options.backoff,
    refusedRetryMs: options.refusedRetryMs,
    onRejected: () => removeInvalidSamples(spool, log),
    hello: () => ({
      type: "hello",
      v: PROTOCOL_VERSION,
      token: options.token ?? "",
      machineId: host.machineId,
      hostname: host.hostname,
      ...(options.name === undefined ? {} : { name: options.name }),
      os: host.os,
      ...(host.osName === undefined ? {} : { osName: host.osName }),
      ...(host.kernel === undefined ? {} : { kernel: host.kernel }),
      arch: host.arch,
      cores: host.cores,
      memTotal: host.memTotal,
      agentVersion: GRIDMON_VERSION,
      intervalMs: options.intervalMs,
    }),
  });
  let stopped = false;
  const ticker = startTicker(options.intervalMs, async () => {
    if (stopped) return;
    try {
      const sample = await options.sampler.read();
      if (stopped) return;
      await spool.append(sample);
      connection.notify();
    } catch (error) {
      log(`sample lost: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return {
    spool,
    get connectionState() {
      return connection.state;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      ticker.stop();
      await connection.close();
      await spool.close();
    },
  };
}
