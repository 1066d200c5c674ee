/**
 * What the master holds per machine: samples in, verdicts and anomaly events out.
 *
 * ```ts
 * const detector = new MachineDetector(machineId, { intervalMs: 1000 });
 * // after a restart: the stored samples the history spans (about 4.5 h at 1 s)
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

/** The streaming detector fed with one machine's samples. */
export class MachineDetector {
  readonly machineId: string;
  readonly detector: StreamingDetector;
  readonly #features = new SampleFeatures();

  constructor(machineId: string, options: DetectorOptions) {
    this.machineId = machineId;
    this.detector = new StreamingDetector(SAMPLE_FEATURES, options, machineId);
  }

  /** Stored samples a warm start should read to fill the history. */
  get historyWanted(): number {
    return this.detector.historyWanted;
  }

  /** Judges one sample and learns from it. */
  observe(sample: Sample): Observation {
    const x = this.#features.extract(sample);
    return this.detector.observe(sample.ts, x, this.#features.devices);
  }

  /** The machine went offline: closes its open event, if any, with that reason. */
  machineOffline(): EventTransition | undefined {
    return this.detector.closeOpen("offline");
  }

  /** Learns from stored samples, oldest first, without judging them or opening events. */
  warmStart(samples: readonly Sample[]): void {
    for (const sample of samples) this.detector.learn(sample.ts, this.#features.extract(sample));
    this.detector.refit();
  }
}
