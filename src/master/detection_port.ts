/**
 * The seam between the ingest hub and anomaly detection. The hub asks `observe` for a verdict on
 * every sample before it is queued for storage, and forwards every event the port emits to the
 * live feed. The detection engineer plugs the real detector in through `MasterOptions.detection`.
 */
import type { Sample } from "../protocol/sample.ts";
import type { AnomalyEvent, MachineRow, Store, Verdict } from "./store/store_types.ts";

/** Listener for anomaly events: called when an event opens, changes or closes. */
export type AnomalyListener = (event: AnomalyEvent) => void;

/** What the hub needs from a detector. */
export interface DetectionPort {
  /** Scores one sample of `machine`; must not throw for unusual samples and must be quick. */
  observe(machine: MachineRow, sample: Sample): Verdict;
  /**
   * The machine went offline (silent past its offline threshold, or its connection closed):
   * its open anomaly event, if any, closes with reason "offline". Safe to call repeatedly.
   */
  machineOffline(machineId: string): void;
  /** Registers a listener for anomaly events; returns a function that removes it. */
  onEvent(listener: AnomalyListener): () => void;
  /** Stops background work (refits); called once on shutdown, before the store closes. */
  close(): void;
}

/** Builds the detection port once the store is open (warm start, storing events). */
export type DetectionFactory = (store: Store) => DetectionPort;

/** The verdict for "no opinion": no score yet, not anomalous. */
export const NO_VERDICT: Verdict = Object.freeze({ score: null, anomalous: false, reason: null });

/** A detector that never flags anything; the default until a real one is plugged in. */
export function createNullDetection(): DetectionPort {
  return {
    observe: () => NO_VERDICT,
    machineOffline: () => {},
    onEvent: () => () => {},
    close: () => {},
  };
}

/** A small synchronous event emitter for detectors to implement `onEvent` with. */
export function createAnomalyEmitter(): {
  onEvent(listener: AnomalyListener): () => void;
  emit(event: AnomalyEvent): void;
} {
  const listeners = new Set<AnomalyListener>();
  return {
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const listener of listeners) listener(event);
    },
  };
}
