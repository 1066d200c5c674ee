/**
 * The master's own host, sampled in-process every interval and fed into the hub through the same
 * validation and queue as remote workers (without a WebSocket).
 */
import { SamplesSchema } from "../protocol/messages.ts";
import { validateFrame } from "../protocol/validate.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";
import { GRIDMON_VERSION } from "../version.ts";
import type { Sampler } from "../worker/sampler_types.ts";
import type { IngestHub, IngestSession } from "./ingest_hub.ts";

export interface LocalWorkerOptions {
  sampler: Sampler;
  hub: IngestHub;
  intervalMs: number;
  log: (line: string) => void;
  now?: () => number;
}

/** A running local worker. */
export interface LocalWorker {
  /** The machine id it reports as (known once the host was read). */
  readonly machineId: string | undefined;
  stop(): Promise<void>;
}

/** Starts sampling; the first sample is taken right away. */
export function startLocalWorker(options: LocalWorkerOptions): LocalWorker {
  const { sampler, hub, intervalMs, log } = options;
  const now = options.now ?? Date.now;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let session: IngestSession | undefined;
  let seq = 0;
  let lastProblem = "";
  let running: Promise<void> = Promise.resolve();

  const problem = (text: string) => {
    if (text !== lastProblem) log(`local worker: ${text}`);
    lastProblem = text;
  };

  async function attach(): Promise<IngestSession | undefined> {
    const host = await sampler.host();
    const own: IngestSession = {
      machineId: host.machineId,
      lastFrameAt: now(),
      ack() {},
      close(_code, reason) {
        problem(`stopped by the hub: ${reason}`);
        session = undefined;
      },
    };
    const row = hub.attach(own, {
      id: host.machineId,
      name: host.hostname.trim() || hub.fallbackName(host.machineId),
      hostname: host.hostname,
      os: host.os,
      osName: host.osName,
      kernel: host.kernel,
      arch: host.arch,
      cores: host.cores,
      memTotal: host.memTotal,
      agentVersion: GRIDMON_VERSION,
      intervalMs,
    });
    if (row === "duplicate") {
      problem(`a remote worker already reports machine ${host.machineId}; retrying`);
      return undefined;
    }
    if ("beingDeleted" in row) {
      problem(`${row.beingDeleted}; retrying`);
      return undefined;
    }
    if ("storageError" in row) {
      problem(`storage failing (${row.storageError}); retrying`);
      return undefined;
    }
    seq = row.lastSeq + 1;
    return own;
  }

  async function step(): Promise<void> {
    session ??= await attach();
    if (!session) return;
    const sample = { ...(await sampler.read()), seq };
    const checked = validateFrame(
      { type: "samples", v: PROTOCOL_VERSION, samples: [sample] },
      SamplesSchema,
    );
    if (!checked.ok) return problem(`sample refused: ${checked.reason}`);
    if (sample.machineId !== session.machineId) {
      return problem("machine id changed; sample refused");
    }
    hub.enqueue(session, checked.frame.samples);
    seq++;
    lastProblem = "";
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = now();
      running = step().catch((error) => problem(String(error))).finally(() => {
        schedule(Math.max(0, intervalMs - (now() - started)));
      });
    }, delay);
  }

  schedule(0);
  return {
    get machineId() {
      return session?.machineId;
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (session) hub.detach(session);
      session = undefined;
    },
  };
}
