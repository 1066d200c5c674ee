/** The JSON shape of a machine in /api/machines, /api/machines/:id and live `machine` frames. */
import type { WatchedProcess } from "../protocol/processes.ts";
import type { Sample } from "../protocol/sample.ts";
import { NO_VERDICT } from "./detection_port.ts";
import type { MachineClash, MachineState, SampleLoss } from "./fleet_state.ts";
import type { ExpectedOffline, MachineRow, Verdict } from "./store/store_types.ts";

/** A machine as docs/api.md describes it. */
export interface MachineJson
  extends Omit<MachineRow, "lastSeq" | "removedAt" | "purging" | "expectedOffline"> {
  online: boolean;
  latest: Sample | null;
  anomaly: Verdict;
  alerts: number;
  /** Another host using this machine's id was refused (a cloned VM or container), if lately. */
  clash: MachineClash | null;
  /** A person said the machine is expected to be offline (no offline alert), or null. */
  expectedOffline: ExpectedOffline | null;
  /** Samples that never arrived: seqs the worker skipped, drops its spool reported. */
  loss: SampleLoss;
  /** Its watched process names at the newest process scan (running or not), or null. */
  watched: WatchedProcess[] | null;
}

/** Builds the API shape from the in-memory state. */
export function machineJson(state: MachineState): MachineJson {
  const { row } = state;
  return {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    os: row.os,
    osName: row.osName,
    kernel: row.kernel,
    arch: row.arch,
    cores: row.cores,
    memTotal: row.memTotal,
    agentVersion: row.agentVersion,
    intervalMs: row.intervalMs,
    online: state.online,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
    latest: state.latest,
    anomaly: state.verdict ?? NO_VERDICT,
    alerts: state.alerts,
    clash: state.clash,
    expectedOffline: row.expectedOffline ?? null,
    loss: state.loss,
    watched: state.watched,
  };
}

const cache = new WeakMap<MachineState, { revision: number; text: string }>();

/**
 * `JSON.stringify(machineJson(state))`, cached until the state changes: a fleet listing then
 * re-serializes only the machines that reported since the previous request.
 */
export function machineJsonText(state: MachineState): string {
  const hit = cache.get(state);
  if (hit && hit.revision === state.revision) return hit.text;
  const text = JSON.stringify(machineJson(state));
  cache.set(state, { revision: state.revision, text });
  return text;
}
