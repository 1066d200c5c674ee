/** The shapes the alert engine works with: machines, alert instances, notices. */
import type { CauseLike } from "../protocol/describe.ts";
import type { AlertRule, Comparison } from "./rules.ts";
import type { Culprit } from "../protocol/describe_processes.ts";

export interface AlertMachine {
  id: string;
  name: string;
}

/** Why an alert ended. */
export type CloseReason =
  | "recovered"
  | "machine offline"
  | "master restarted"
  | "rule removed"
  | "machine removed"
  | "expected offline";

/** An alert instance the engine tracks. */
export interface AlertState {
  key: string;
  rule: string;
  kind: AlertRule["kind"];
  severity: AlertRule["severity"];
  machineId: string;
  machineName: string;
  /** Device (disk, interface, mount ...) for per-device metrics. */
  device: string | null;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  op: Comparison | null;
  /** An anomaly's main cause in words: "Network in 899 MiB/s on eth0 (usually 5–14 MiB/s)". */
  cause: string | null;
  /** When the condition started to hold (sample time). */
  since: number;
  /** When the alert fired (sample time); null while pending. */
  firedAt: number | null;
  /** Last notification sent for this alert (wall clock); null when none was. */
  notifiedAt: number | null;
  resolvedAt: number | null;
  closeReason: CloseReason | null;
  /** Fired on data that arrived long after it was sampled (back-fill, spool replay). */
  foundLate: boolean;
  /** Wall-clock time the engine saw it fire; null while pending. */
  detectedAt: number | null;
  silenced: boolean;
  message: string;
}

/**
 * firing: the alert started (or a found-late one is announced once current data shows it still
 * holds); repeat: reminder; resolved: it ended; found-late: it started and ended in data that
 * arrived late, told once afterwards.
 */
export type AlertTransition = "firing" | "repeat" | "resolved" | "found-late";

export interface AlertNotice {
  transition: AlertTransition;
  alert: AlertState;
  rule: AlertRule;
  /** False when the notice is only for the record (silenced, late, recovery notices off). */
  deliver: boolean;
}

export interface AnomalyEventInput {
  id: number;
  start: number;
  end: number | null;
  peakScore: number;
  reason: string;
  /** The metrics that contributed most, the first most (as the detector stores them). */
  causes?: readonly CauseLike[];
  /** Why a closed event closed: recovered, offline or restarted; "recovered" when absent. */
  closeReason?: string | null;
  /** The processes behind its main cause (src/master/event_processes.ts). */
  processes?: readonly Culprit[];
}
