/** Counters and gauges of the master's own ingest, exported on /metrics as gridmon_ingest_*. */
export interface IngestStats {
  /** Worker connections accepted after a good hello. */
  connectionsAccepted: number;
  /** Worker connections closed by the master, per reason (unauthorized, invalid_frame, ...). */
  connectionsRefused: Record<string, number>;
  framesReceived: number;
  samplesReceived: number;
  /** Rows handed to the store (duplicates among them are skipped by the store). */
  samplesWritten: number;
  samplesClockSkewed: number;
  flushes: number;
  flushErrors: number;
  flushSecondsTotal: number;
  /** Time spent in the anomaly detector (scoring and refitting), in seconds. */
  detectorSecondsTotal: number;
  /** Rows waiting for the next flush. */
  queuedRows: number;
  retentionRowsDeleted: number;
}

/** Fresh zeroed stats. */
export function createIngestStats(): IngestStats {
  return {
    connectionsAccepted: 0,
    connectionsRefused: {},
    framesReceived: 0,
    samplesReceived: 0,
    samplesWritten: 0,
    samplesClockSkewed: 0,
    flushes: 0,
    flushErrors: 0,
    flushSecondsTotal: 0,
    detectorSecondsTotal: 0,
    queuedRows: 0,
    retentionRowsDeleted: 0,
  };
}

/** Counts one refused or closed connection under `reason`. */
export function countRefusal(stats: IngestStats, reason: string): void {
  stats.connectionsRefused[reason] = (stats.connectionsRefused[reason] ?? 0) + 1;
}
