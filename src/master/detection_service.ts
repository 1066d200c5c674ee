/**
 * The real DetectionPort: one streaming detector per machine (src/detect/machine_detector.ts),
 * warm-started from the machine's stored history, with anomaly events kept in the store and
 * emitted to the live feed as they open, change and close.
 */
import { MachineDetector } from "../detect/machine_detector.ts";
import type { DetectorOptions, EventTransition } from "../detect/streaming_detector.ts";
import type { Sample } from "../protocol/sample.ts";
import { createAnomalyEmitter, type DetectionPort, NO_VERDICT } from "./detection_port.ts";
import type { MachineRow, Store, Verdict } from "./store/store_types.ts";
import { createTokenBucket } from "./token_bucket.ts";

export interface DetectionServiceOptions {
  log: (line: string) => void;
  now?: () => number;
  /** Stored samples a new detector learns from (default 3600: an hour at 1 s). */
  history?: number;
  /**
   * Most detectors warm-started per second (default 10; ~50 ms each with an hour of history). A warm start reads history and fits a
   * forest; spreading them keeps a restart with a large fleet from stalling ingest. Samples of
   * a machine still waiting get no verdict; its warm start later reads them from the store.
   */
  warmStartsPerSecond?: number;
  /**
   * Samples older than this when they arrive are stored without a verdict and not shown to the
   * detector (default 1 h). A worker replaying its spool after an outage of up to an hour is
   * still scored; a bulk back-fill of older history is not: scoring costs as much as for live
   * samples, and a flood of old history would starve the live fleet.
   */
  maxLagMs?: number;
  /** Detector settings other than the interval, which each machine's hello gives. */
  detector?: Omit<DetectorOptions, "intervalMs">;
}

/**
 * Creates the service. Events left open by a previous run are closed at the machine's last
 * sample with reason "restarted", since the new detectors know nothing about them.
 */
export function createDetectionService(
  store: Store,
  options: DetectionServiceOptions,
): DetectionPort {
  const now = options.now ?? Date.now;
  const history = options.history ?? 3600;
  const rate = options.warmStartsPerSecond ?? 10;
  const maxLagMs = options.maxLagMs ?? 3_600_000;
  const starts = createTokenBucket(rate, rate);
  const detectors = new Map<string, MachineDetector>();
  const openEvent = new Map<string, number>();
  const emitter = createAnomalyEmitter();
  let failures = 0;

  for (const event of store.listAnomalies({ from: 0, to: now(), limit: 10_000 })) {
    if (event.end !== null) continue;
    const lastSeen = store.getMachine(event.machineId)?.lastSeen ?? now();
    store.updateAnomaly(event.id, {
      end: Math.max(event.start, lastSeen),
      closeReason: "restarted",
    });
  }

  function detectorFor(machine: MachineRow): MachineDetector | undefined {
    let detector = detectors.get(machine.id);
    if (detector || !starts.take(now())) return detector;
    detector = new MachineDetector(machine.id, {
      ...options.detector,
      intervalMs: machine.intervalMs,
    });
    detector.warmStart(store.recentSamples(machine.id, history));
    detectors.set(machine.id, detector);
    return detector;
  }

  function record(machineId: string, transition: EventTransition): void {
    const { kind, event } = transition;
    let id = openEvent.get(machineId);
    if (kind === "opened" || id === undefined) {
      id = store.openAnomaly(event);
      openEvent.set(machineId, id);
    } else {
      store.updateAnomaly(id, {
        end: event.end,
        peakScore: event.peakScore,
        reason: event.reason,
        causes: event.causes,
        closeReason: event.closeReason,
      });
    }
    if (kind === "closed") openEvent.delete(machineId);
    emitter.emit({ ...event, id });
  }

  return {
    observe(machine: MachineRow, sample: Sample): Verdict {
      if (now() - sample.ts > maxLagMs) return NO_VERDICT;
      try {
        const detector = detectorFor(machine);
        if (!detector) return NO_VERDICT;
        const { verdict, transition } = detector.observe(sample);
        if (transition) record(machine.id, transition);
        return verdict;
      } catch (error) {
        if (failures++ === 0) {
          options.log(`detection failed (further failures not logged): ${error}`);
        }
        return NO_VERDICT;
      }
    },
    machineOffline(machineId: string): void {
      const transition = detectors.get(machineId)?.machineOffline();
      if (transition) record(machineId, transition);
    },
    onEvent: emitter.onEvent,
    close(): void {
      detectors.clear();
    },
  };
}
