/**
 * Anomaly events name their processes: for the event's main cause, the top processes over its
 * first minute of process scans (the scan covering its start, and those after it), each at its
 * highest figure. Events are named as they are emitted (a wrapper around the detection port,
 * which also sees the scan of the sample being scored, not yet stored) and when the API lists
 * them (from the stored scans, or the minute and hour rollups once scans have expired).
 */
import type { ProcessEntry } from "../protocol/processes.ts";
import { type Culprit, culpritsFor, culpritsOverScans } from "../protocol/describe_processes.ts";
import type { DetectionPort } from "./detection_port.ts";
import type { AnomalyEvent, Store } from "./store/store_types.ts";

/** How much of an event's start the naming looks at. */
export const NAMING_WINDOW_MS = 60_000;

/** A scan not yet in the store: the one the sample being scored carries. */
export interface PendingScan {
  ts: number;
  top: readonly ProcessEntry[];
}

/** The processes `event` names (its main cause's metric, else its reason). */
export function processesOfEvent(
  store: Store,
  event: Pick<AnomalyEvent, "machineId" | "start" | "end" | "reason" | "causes">,
  now: number,
  pending?: PendingScan,
): Culprit[] {
  const metric = event.causes[0]?.metric ?? event.reason;
  const to = Math.max(event.start, Math.min(event.end ?? now, event.start + NAMING_WINDOW_MS));
  const scans: (readonly ProcessEntry[])[] = store.processScans(event.machineId, event.start, to)
    .map((scan) => scan.top);
  if (pending && pending.ts >= event.start && pending.ts <= to) scans.push(pending.top);
  if (scans.length > 0) return culpritsOverScans(metric, scans);
  const at = store.processesAt(event.machineId, event.start);
  return at ? culpritsFor(metric, at.processes) : [];
}

/** The detection port with every event it emits naming its processes. */
export function nameEventProcesses(
  detection: DetectionPort,
  store: Store,
  now: () => number,
): DetectionPort {
  const pending = new Map<string, PendingScan>();
  return {
    observe(machine, sample) {
      if (sample.processes) pending.set(machine.id, { ts: sample.ts, top: sample.processes.top });
      return detection.observe(machine, sample);
    },
    machineOffline: (machineId) => detection.machineOffline(machineId),
    onEvent(listener) {
      return detection.onEvent((event) =>
        listener({
          ...event,
          processes: processesOfEvent(store, event, now(), pending.get(event.machineId)),
        })
      );
    },
    close: () => detection.close(),
  };
}
