/** Runs every collector at once, each failing (or hanging) on its own. */
import type { Collector, SampleMetrics } from "./collector.ts";
import type { FailureLog } from "./failure_log.ts";

/** Runs collectors, each with at most one call in flight. */
export interface CollectorRunner {
  /** Merged metrics of every collector that answered within the deadline. Never rejects. */
  collect(): Promise<SampleMetrics>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isPromiseLike(value: unknown): value is PromiseLike<SampleMetrics> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/**
 * A runner over `collectors`. A collector that throws or rejects is left out of that sample and
 * logged once per distinct message; one that takes longer than `deadlineMs` is left out, and is
 * not called again until its earlier call has settled (so a hung read never piles up).
 * Synchronous answers are taken as they are; one deadline timer per sample covers the rest.
 */
export function createCollectorRunner(
  collectors: Collector[],
  failures: FailureLog,
  deadlineMs: number,
): CollectorRunner {
  const inFlight = new Set<string>();

  async function collect(): Promise<SampleMetrics> {
    const answers: (SampleMetrics | undefined)[] = new Array(collectors.length);
    const waiting = new Map<number, string>();
    const calls: Promise<void>[] = [];
    for (let i = 0; i < collectors.length; i++) {
      const { name } = collectors[i];
      if (inFlight.has(name)) {
        failures.failed(name, `still busy with a call that took over ${deadlineMs} ms`);
        continue;
      }
      let answer: SampleMetrics | PromiseLike<SampleMetrics>;
      try {
        answer = collectors[i].collect();
      } catch (error) {
        failures.failed(name, errorMessage(error));
        continue;
      }
      if (!isPromiseLike(answer)) {
        failures.succeeded(name);
        answers[i] = answer;
        continue;
      }
      inFlight.add(name);
      waiting.set(i, name);
      calls.push(
        Promise.resolve(answer).then(
          (metrics) => {
            failures.succeeded(name);
            answers[i] = metrics;
          },
          (error) => failures.failed(name, errorMessage(error)),
        ).finally(() => {
          inFlight.delete(name);
          waiting.delete(i);
        }),
      );
    }
    if (calls.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => timer = setTimeout(resolve, deadlineMs));
      await Promise.race([Promise.all(calls), late]);
      clearTimeout(timer);
      for (const name of waiting.values()) failures.failed(name, `took over ${deadlineMs} ms`);
    }
    const merged: SampleMetrics = {};
    for (let i = 0; i < answers.length; i++) {
      if (answers[i] !== undefined && !waiting.has(i)) Object.assign(merged, answers[i]);
    }
    return merged;
  }

  return { collect };
}
