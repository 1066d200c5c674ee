/**
 * What the master holds per machine: samples in, verdicts and anomaly events out.
 *
 * ```ts
 * const detector = new MachineDetector(machineId);
 * // after a restart: 14,400 samples (4 h at 1 s) fill the default window
 * detector.warmStart(store.recentSamples(machineId, detector.historyWanted));
 * const { verdict, transition } = detector.observe(sample);
 * ```
 */
import type { Sample } from "../protocol/sample.ts";
import { SAMPLE_FEATURES, SampleFeatures } from "./features.ts";
import {
  type DetectorOptions,
  type EventTransition,
  type Observation,
  StreamingDetector,
} from "./streaming_detector.ts";

/**
 * A machine's window: 1,800 rows, one sample in 8 after warm-up, so still ~4 h at 1 s (as the
 * detector's default 3,600 × 4) in half the memory; a master holds one per machine.
 */
export const MACHINE_WINDOW = { window: 1800, stride: 8 } as const;

/** The streaming detector fed with one machine's samples. */
export class MachineDetector {
  readonly machineId: string;
  readonly detector: StreamingDetector;
  readonly #features = new SampleFeatures();

  constructor(machineId: string, options: DetectorOptions = {}) {
    this.machineId = machineId;
    this.detector = new StreamingDetector(
      SAMPLE_FEATURES,
      { ...MACHINE_WINDOW, ...given(options) },
      machineId,
    );
  }

  /** Stored samples a warm start should read to fill the window (window × stride). */
  get historyWanted(): number {
    return this.detector.historyWanted;
  }

  /** Judges one sample (in arrival order) and learns from it. */
  observe(sample: Sample): Observation {
    return this.detector.observe(sample.ts, this.#features.extract(sample));
  }

  /** The machine went offline: closes its open event, if any, with that reason. */
  machineOffline(): EventTransition | undefined {
    return this.detector.closeOpen("offline");
  }

  /** Learns from stored samples, oldest first, without judging them or opening events. */
  warmStart(samples: readonly Sample[]): void {
    for (const sample of samples) this.detector.learn(this.#features.extract(sample));
    this.detector.refit();
  }
}

/** `options` without its undefined fields, so that they cannot undo MACHINE_WINDOW. */
function given(options: DetectorOptions): DetectorOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
