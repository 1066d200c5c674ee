// @ts-check
/// <reference lib="dom" />
/**
 * Fetches the last 15 minutes of CPU for the fleet rows that come into view, a few requests at
 * a time, and merges them with the live points the row already has.
 */
import { getJson, query } from "./api.js";
import { SPARK_WINDOW_MS } from "./state.js";

/** @typedef {import("./state.js").MachineView} MachineView */

const CONCURRENCY = 6;

/**
 * @param {{ signal: AbortSignal, onLoaded: () => void }} opts
 */
export function createSparkLoader({ signal, onLoaded }) {
  /** @type {Set<string>} */
  const inFlight = new Set();
  /** @type {MachineView[]} */
  let queue = [];

  function pump() {
    while (inFlight.size < CONCURRENCY && queue.length && !signal.aborted) {
      const m = /** @type {MachineView} */ (queue.shift());
      if (m.sparkLoaded || inFlight.has(m.id)) continue;
      inFlight.add(m.id);
      const to = Date.now();
      const q = query({ from: to - SPARK_WINDOW_MS, to, points: 180, metrics: "cpu.usage" });
      getJson(`/api/machines/${encodeURIComponent(m.id)}/series?${q}`, signal)
        .then((r) => {
          const t = /** @type {number[]} */ (r.t ?? []);
          const v = /** @type {(number | null)[]} */ (r.avg?.["cpu.usage"] ?? []);
          // Keep live points newer than the fetched history.
          const lastFetched = t.length ? t[t.length - 1] + (r.stepMs ?? 0) : -Infinity;
          const keep = m.sparkT.findIndex((x) => x > lastFetched);
          m.sparkT = [...t, ...(keep < 0 ? [] : m.sparkT.slice(keep))];
          m.sparkV = [...v, ...(keep < 0 ? [] : m.sparkV.slice(keep))];
          m.sparkLoaded = true;
          m.version++;
          onLoaded();
        })
        .catch(() => {/* the row keeps its live points; retried when it scrolls into view again */})
        .finally(() => {
          inFlight.delete(m.id);
          pump();
        });
    }
  }

  return {
    /** The rows now on screen: those without history are fetched. */
    want(/** @type {MachineView[]} */ views) {
      queue = views.filter((m) => !m.sparkLoaded && !inFlight.has(m.id));
      pump();
    },
  };
}
