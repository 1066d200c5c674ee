/**
 * From per-sample evidence to anomaly events, one per onset.
 *
 * The evidence of a sample is its excess: how many decades rarer it is than the alarm level
 * (>= 0: alarming). An alarm opens an event (or, during an open event, may raise its peak);
 * after an alarm the detector rests for `rest` samples: no new alarm, and the score it reports
 * is damped, so one onset makes one spike, not a run of them. An open event stays open while
 * samples stay within CLOSE_BELOW decades of the alarm level, and closes ("recovered") after
 * `calm` samples in a row below that, ending at its last unusual sample. It can also be closed
 * for another reason (the machine went offline). Samples of an open event are not learnt as
 * normal until the event has lasted `adapt` samples: then its level is the new normal.
 */
import type { AnomalyCause, AnomalyCloseReason } from "../master/store/store_types.ts";
import type { DetectorEvent, EventTransition } from "./streaming_detector.ts";
import type { TimeScales } from "./time_scales.ts";

/** Decades below the alarm level under which a sample counts as calm. */
export const CLOSE_BELOW = 2;
/** Factor applied to the score of samples during the rest after an alarm. */
export const REST_DAMPING = 0.3;
/** Decades of excess that span the score from 0.5 (alarm) to 1. */
export const SCORE_DECADES = 4;
/**
 * An excursion over within this much time (counting its unusual samples at the sample
 * interval) is routine: a job, a GC pause, a burst of requests. Once it has passed, it is
 * learnt (counted once) as something this machine does. At intervals of this length or more
 * no excursion is that brief.
 */
export const BRIEF_MS = 120_000;

/** The 0..1 score of a sample `excess` decades beyond the alarm level (0.5 at the alarm). */
export function scoreOf(excess: number): number {
  return Math.min(1, Math.max(0, 0.5 + excess / (2 * SCORE_DECADES)));
}

/** What the tracker decided about one sample. */
export interface TrackedSample {
  score: number;
  /** This sample raised an alarm. */
  alarm: boolean;
  /** An event is open and this sample is still unusual (or raised the alarm). */
  anomalous: boolean;
  /** Whether the detector should learn this sample as normal (level, time of day, forest). */
  learn: boolean;
  /**
   * Set when an event ended on this sample (or started being learnt, after `adapt`): whether
   * what was held back during it should now be counted once in the record of how large
   * excursions get (it was brief: BRIEF_MS), or dropped.
   */
  release?: "learn" | "drop";
  transition?: EventTransition;
}

export class EventTracker {
  readonly #machineId: string;
  readonly #rest: number;
  readonly #calm: number;
  readonly #adapt: number;
  #samples = 0;
  #lastAlarm = -Infinity;
  #openedAt = 0;
  #unusualSamples = 0;
  readonly #intervalMs: number;
  #calmRun = 0;
  #lastUnusual = 0;
  #open: DetectorEvent | null = null;

  constructor(
    machineId: string,
    scales: Pick<TimeScales, "rest" | "calm" | "adapt" | "intervalMs">,
  ) {
    this.#machineId = machineId;
    this.#intervalMs = scales.intervalMs;
    this.#rest = scales.rest;
    this.#calm = scales.calm;
    this.#adapt = scales.adapt;
  }

  get openEvent(): DetectorEvent | null {
    return this.#open;
  }

  /**
   * Tracks a sample at `ts` with `excess` decades beyond the alarm level; `causes()` is asked
   * only when the sample may become an event's peak.
   */
  track(ts: number, excess: number, causes: () => AnomalyCause[]): TrackedSample {
    const i = this.#samples++;
    let score = scoreOf(excess);
    const alarm = excess >= 0 && i - this.#lastAlarm >= this.#rest;
    if (!alarm && i - this.#lastAlarm < this.#rest) score *= REST_DAMPING;
    let transition: EventTransition | undefined;
    const open = this.#open;
    const unusual = excess >= -CLOSE_BELOW;
    if (alarm) {
      this.#lastAlarm = i;
      if (!open) {
        const found = causes();
        this.#open = {
          machineId: this.#machineId,
          start: ts,
          end: null,
          peakScore: score,
          reason: found[0]?.metric ?? "",
          causes: found,
          closeReason: null,
        };
        this.#openedAt = i;
        this.#unusualSamples = 0;
        transition = { kind: "opened", event: { ...this.#open } };
      }
    }
    if (open && unusual && score > open.peakScore) {
      const found = causes();
      open.peakScore = score;
      if (found.length > 0) {
        open.causes = found;
        open.reason = found[0].metric;
      }
      transition = { kind: "updated", event: { ...open } };
    }
    const current = this.#open;
    let release: TrackedSample["release"];
    if (current && (unusual || alarm)) {
      this.#calmRun = 0;
      this.#lastUnusual = ts;
      this.#unusualSamples++;
    } else if (current && ++this.#calmRun >= this.#calm) {
      transition = this.#close(this.#lastUnusual, "recovered");
      release = this.#unusualSamples * this.#intervalMs <= BRIEF_MS ? "learn" : "drop";
    }
    const stillOpen = this.#open !== null;
    const age = i - this.#openedAt;
    if (stillOpen && age === this.#adapt) release = "drop";
    const tracked: TrackedSample = {
      score,
      alarm,
      anomalous: stillOpen && (unusual || alarm),
      learn: !stillOpen || age >= this.#adapt,
    };
    if (transition) tracked.transition = transition;
    if (release) tracked.release = release;
    return tracked;
  }

  /** Closes the open event (if any) for `reason`, at its last unusual sample. */
  close(reason: AnomalyCloseReason): EventTransition | undefined {
    return this.#open ? this.#close(this.#lastUnusual, reason) : undefined;
  }

  #close(end: number, closeReason: AnomalyCloseReason): EventTransition {
    const event = { ...this.#open!, end: Math.max(end, this.#open!.start), closeReason };
    this.#open = null;
    this.#calmRun = 0;
    return { kind: "closed", event };
  }
}
