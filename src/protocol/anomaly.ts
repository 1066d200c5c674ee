/**
 * What the detector says about samples and machines, as the store keeps it and the API serves
 * it: the verdict on one sample, and anomaly events with their causes.
 */
import type { Culprit } from "./describe_processes.ts";

/** The detector's verdict on one sample. */
export interface Verdict {
  /** 0..1, higher is more anomalous; null during warm-up. */
  score: number | null;
  anomalous: boolean;
  /** The metric that contributed most, when anomalous. */
  reason: string | null;
}

export interface AnomalyCause {
  /** The detector feature (`cpu.usage`, `net.rxBps`: summed over interfaces). */
  metric: string;
  /** For a feature summed over devices: the device with the largest share (`eth0`). */
  device?: string;
  value: number;
  /** The machine's normal range for this metric (from the training window). */
  normalLow: number;
  normalHigh: number;
  /** Share of the score attributed to this metric, 0..1. */
  contribution: number;
}

/**
 * Why an anomaly event ended: the machine looked normal again, the machine went offline (no
 * samples for its offline threshold), or the master restarted while it was open (the new
 * detector knows nothing about it).
 */
export type AnomalyCloseReason = "recovered" | "offline" | "restarted";

/** Every close reason, for validation. */
export const ANOMALY_CLOSE_REASONS: readonly AnomalyCloseReason[] = [
  "recovered",
  "offline",
  "restarted",
];

export interface AnomalyEvent {
  id: number;
  machineId: string;
  start: number;
  /** Null while the event is open. */
  end: number | null;
  peakScore: number;
  /** The metric that contributed most. */
  reason: string;
  causes: AnomalyCause[];
  /** Why it ended; null while open (and for events closed before reasons were kept). */
  closeReason: AnomalyCloseReason | null;
  /**
   * The processes behind its main cause, when the machine scans processes (named when the event
   * is emitted or listed, not stored: see src/master/event_processes.ts).
   */
  processes?: Culprit[];
}
