// @ts-check
/// <reference lib="dom" />
/**
 * Fetches the last 15 minutes of CPU for the fleet rows that come into view: the rows without
 * history, all in one request (GET /api/fleet/sparklines), merged with the live points each row
 * already has.
 */
import { getJson } from "./api.js";
import { SPARK_WINDOW_MS } from "./state.js";

/** @typedef {import("./state.js").MachineView} MachineView */

/** Most rows asked for in one request (the address must stay short). */
const BATCH = 100;

/**
 * @param {{ signal: AbortSignal, onLoaded: () => void }} opts
 */
export function createSparkLoader({ signal, onLoaded }) {
  /** @type {Set<string>} */
  const inFlight = new Set();

  /**
   * @param {MachineView[]} views
   */
  function fetchBatch(views) {
    for (const m of views) inFlight.add(m.id);
    const to = Date.now();
    const q = new URLSearchParams({
      from: String(to - SPARK_WINDOW_MS),
      to: String(to),
      points: "180",
      metric: "cpu.usage",
    });
    for (const m of views) q.append("id", m.id);
    getJson(`/api/fleet/sparklines?${q}`, signal)
      .then((r) => {
        for (const m of views) {
          const got = r.machines?.[m.id];
          if (!got) continue;
          const t = /** @type {number[]} */ (got.t ?? []);
          const v = /** @type {(number | null)[]} */ (got.v ?? []);
          // Keep live points newer than the fetched history.
          const lastFetched = t.length ? t[t.length - 1] + (r.stepMs ?? 0) : -Infinity;
          const keep = m.sparkT.findIndex((x) => x > lastFetched);
          m.sparkT = [...t, ...(keep < 0 ? [] : m.sparkT.slice(keep))];
          m.sparkV = [...v, ...(keep < 0 ? [] : m.sparkV.slice(keep))];
          m.sparkLoaded = true;
          m.version++;
        }
        onLoaded();
      })
      .catch(() => {/* the rows keep their live points; asked again when they are in view */})
      .finally(() => {
        for (const m of views) inFlight.delete(m.id);
      });
  }

  return {
    /** The rows now on screen: those without history are fetched, in one request. */
    want(/** @type {MachineView[]} */ views) {
      if (signal.aborted) return;
      const missing = views.filter((m) => !m.sparkLoaded && !inFlight.has(m.id));
      for (let i = 0; i < missing.length; i += BATCH) fetchBatch(missing.slice(i, i + BATCH));
    },
  };
}
