/**
 * Running totals of a machine's counter metrics (catalogue kind "counter": bytes, packets,
 * operations, errors), integrated from the per-second rates of its samples: each rate times
 * the time since the previous sample. /metrics exports them as Prometheus counters. They count
 * from when this master process first saw the machine; a master restart is a counter reset,
 * which Prometheus's rate() and increase() handle.
 */
import { COMPILED, type CompiledFamily, deviceList, deviceName } from "../protocol/metrics.ts";
import type { Sample } from "../protocol/sample.ts";

/** Families with counters, and which of their metrics are counters. */
const COUNTER_FAMILIES: { family: CompiledFamily; counters: number[] }[] = COMPILED
  .filter((f) => f.entry.device && f.metrics.some((m) => m.kind === "counter"))
  .map((family) => ({
    family,
    counters: family.metrics.flatMap((m, i) => (m.kind === "counter" ? [i] : [])),
  }));

if (COMPILED.some((f) => !f.entry.device && f.metrics.some((m) => m.kind === "counter"))) {
  throw new Error("counter_totals.ts integrates per-device counters only; extend it first");
}

/** One device's totals: the family, the device name, a total per metric of the family. */
export interface DeviceTotals {
  family: CompiledFamily;
  name: string;
  totals: Float64Array;
}

/** The totals of one machine. */
export class CounterTotals {
  /** Timestamp of the newest sample integrated; null before the first. */
  #ts: number | null;
  readonly #devices = new Map<string, DeviceTotals>();

  /** `since`: the timestamp of the newest sample already seen (the store's latest), if any. */
  constructor(since: number | null = null) {
    this.#ts = since;
  }

  /** Adds the sample's rates times the time since the previous sample; older samples are skipped. */
  add(sample: Sample): void {
    if (this.#ts !== null && sample.ts <= this.#ts) return;
    const seconds = this.#ts === null ? 0 : (sample.ts - this.#ts) / 1000;
    this.#ts = sample.ts;
    for (const { family, counters } of COUNTER_FAMILIES) {
      const { entry, paths } = family;
      const obj = entry.path ? (sample as Record<string, unknown>)[entry.path] : sample;
      const list = deviceList(obj, entry.device!);
      if (!list) continue;
      for (let j = 0; j < list.length; j++) {
        const item = list[j] as Record<string, unknown>;
        const name = deviceName(item, j, entry.device!);
        const id = `${entry.name}:${name}`;
        let device = this.#devices.get(id);
        if (!device) {
          device = { family, name, totals: new Float64Array(family.metrics.length) };
          this.#devices.set(id, device);
        }
        for (const i of counters) {
          const rate = item[paths[i][0]];
          if (typeof rate === "number" && rate > 0 && Number.isFinite(rate)) {
            device.totals[i] += rate * seconds;
          }
        }
      }
    }
  }

  /** The totals of one device of a family (`net`, `eth0`), once a sample carried it. */
  device(family: string, name: string): DeviceTotals | undefined {
    return this.#devices.get(`${family}:${name}`);
  }

  /** Every device seen, with its totals (indexed like `family.metrics`; gauges stay 0). */
  devices(): IterableIterator<DeviceTotals> {
    return this.#devices.values();
  }
}
