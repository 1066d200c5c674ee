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

/**
 * A runner over `collectors`. A collector that rejects is left out of that sample and logged
 * once per distinct message; one that takes longer than `deadlineMs` is left out, and is not
 * called again until its earlier call has settled (so a hung read never piles up).
 */
export function createCollectorRunner(
  collectors: Collector[],
  failures: FailureLog,
  deadlineMs: number,
): CollectorRunner {
  const inFlight = new Map<string, Promise<SampleMetrics>>();

  function start(collector: Collector): Promise<SampleMetrics> {
    const pending = inFlight.get(collector.name);
    if (pending !== undefined) {
      failures.failed(collector.name, `still busy with a call that took over ${deadlineMs} ms`);
      return Promise.resolve({});
    }
    const call = new Promise<SampleMetrics>((resolve) => resolve(collector.collect())).then(
      (metrics) => {
        failures.succeeded(collector.name);
        return metrics;
      },
      (error) => {
        failures.failed(collector.name, errorMessage(error));
        return {} as SampleMetrics;
      },
    ).finally(() => inFlight.delete(collector.name));
    inFlight.set(collector.name, call);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<SampleMetrics>((resolve) => {
      timer = setTimeout(() => {
        failures.failed(collector.name, `took over ${deadlineMs} ms`);
        resolve({});
      }, deadlineMs);
    });
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }

  return {
    async collect() {
      const results = await Promise.all(collectors.map(start));
      return Object.assign({}, ...results);
    },
  };
}
