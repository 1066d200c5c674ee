// @ts-check
/// <reference lib="dom" />
/** The fleet's aggregate charts (average and maximum CPU and memory, total network and disk). */
import { getJson, query } from "./api.js";
import { Chart } from "./chart.js";
import { html, RangeButtons, useEffect, useMemo, useState, useUnmountSignal } from "./ui.js";

export const FLEET_RANGES = /** @type {const} */ ([
  ["1h", 3600e3],
  ["6h", 6 * 3600e3],
  ["24h", 86400e3],
  ["7d", 7 * 86400e3],
  ["30d", 30 * 86400e3],
]);

/** The four charts: title, unit, range, series, and the response fields they draw. */
const CHARTS = [
  ["CPU, fleet", "percent", [0, 100], ["average", "maximum"], ["cpuAvg", "cpuMax"]],
  ["Memory, fleet", "percent", [0, 100], ["average", "maximum"], ["memAvg", "memMax"]],
  ["Network, total", "bytes_per_second", undefined, ["received", "sent"], ["netRxBps", "netTxBps"]],
  ["Disk, total", "bytes_per_second", undefined, ["read", "written"], [
    "diskReadBps",
    "diskWriteBps",
  ]],
];

/**
 * The aggregate charts, reloaded about every 1/100 of the range (10 s at least).
 * @param {{ range: string, onRange: (r: string) => void, anyOnline: boolean }} props
 */
export function FleetCharts({ range, onRange, anyOnline }) {
  const signal = useUnmountSignal();
  const [result, setResult] = useState(
    /** @type {{ r: any, from: number, to: number } | null} */ (null),
  );
  const [error, setError] = useState("");
  const ms = FLEET_RANGES.find(([r]) => r === range)?.[1] ?? 3600e3;

  useEffect(() => {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    let stopped = false;
    async function load() {
      const to = Date.now();
      try {
        const r = await getJson(
          `/api/fleet/series?${query({ from: to - ms, to, points: 400 })}`,
          signal,
        );
        if (stopped) return;
        setResult({ r, from: to - ms, to });
        setError("");
      } catch (e) {
        if (signal.aborted || stopped) return;
        setError(`Fleet charts: ${/** @type {Error} */ (e).message}`);
      }
      if (!stopped) timer = setTimeout(load, Math.max(10_000, ms / 100));
    }
    load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ms]);

  // New data objects only when a load brings new data: the charts redraw then, not on every
  // render of the page around them.
  const data = useMemo(() =>
    CHARTS.map(([, , , , fields]) =>
      result && {
        t: result.r.t,
        values: /** @type {string[]} */ (fields).map((f) => result.r[f]),
        xRange: /** @type {[number, number]} */ ([result.from, result.to]),
      }
    ), [result]);

  // The fleet series has a point a minute: a fleet that has just started has one or none.
  const points = result
    ? /** @type {any[]} */ (result.r.cpuAvg ?? []).filter((v) => v !== null).length
    : Infinity;
  const note = anyOnline && points < 2
    ? "Collecting data: the fleet charts gain a point every minute."
    : undefined;
  return html`
    <section class="fleet-charts" aria-label="Fleet charts">
      <div class="toolbar">
        <h2 class="section-title">Fleet over time</h2>
        <${RangeButtons} ranges=${FLEET_RANGES} current=${range} pick=${onRange} />
        <span class="muted small" role="status">${error}</span>
      </div>
      <div class="chart-grid chart-grid-4">${CHARTS.map(([title, unit, yRange, labels], i) =>
        html`
          <${Chart} key=${title} title=${title} unit=${unit} range=${yRange} syncKey="gm-fleet"
            height=${160} series=${/** @type {string[]} */ (labels).map((label, k) => ({
              label,
              fill: k === 0 && unit === "percent",
            }))} data=${data[i]} note=${note} />
        `
      )}</div>
    </section>
  `;
}
