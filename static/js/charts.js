// @ts-check
/// <reference lib="dom" />
/**
 * uPlot charts with the UI's conventions: theme colours from CSS, values with units, anomalous
 * periods shaded, drag-to-zoom reported to the page (which fetches that range at a finer step),
 * double-click to reset, and cursors synced across the charts of a page.
 */
import { cssVar, h } from "./dom.js";
import { formatterFor } from "../gen/catalogue.js";

/** uPlot, loaded by index.html as a classic script before the modules run. */
const uPlot = /** @type {any} */ (globalThis).uPlot;

/** Series colours that read on light and dark backgrounds. */
export const PALETTE = [
  "#3b82f6",
  "#f59e0b",
  "#10b981",
  "#64748b",
  "#8b5cf6",
  "#06b6d4",
  "#ec4899",
  "#84cc16",
  "#f97316",
  "#14b8a6",
  "#a855f7",
  "#eab308",
];

/**
 * @typedef {{ label: string, color?: string, dash?: number[], width?: number, fill?: boolean }} SeriesDef
 * @typedef {{ start: number, end: number | null }} Period anomalous period, ms
 * @typedef {{
 *   title: string, unit: string, series: SeriesDef[], range?: [number, number],
 *   height?: number, syncKey?: string, width?: number,
 *   periods?: () => Period[],
 *   onZoom?: (fromMs: number, toMs: number) => void,
 *   onReset?: () => void,
 * }} ChartOptions
 */

function theme() {
  return {
    fg: cssVar("--fg") || "#111",
    muted: cssVar("--muted") || "#666",
    grid: cssVar("--grid") || "rgba(128,128,128,.2)",
    shade: cssVar("--anomaly-shade") || "rgba(239,68,68,.16)",
  };
}

/**
 * Axis ticks at round numbers of KiB, MiB, GiB ... (uPlot's own are decimal).
 * @param {any} _u
 * @param {number} _axis
 * @param {number} min
 * @param {number} max
 */
function binarySplits(_u, _axis, min, max) {
  if (!(max > min)) return [min];
  const k = Math.max(
    0,
    Math.min(5, Math.floor(Math.log(Math.max(Math.abs(max), 1)) / Math.log(1024))),
  );
  const unit = 1024 ** k;
  const raw = (max - min) / unit / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? 10 * mag) * unit;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(v);
  return out;
}

/**
 * Width of the y axis: enough for its longest label.
 * @param {any} _u
 * @param {string[] | null} values
 */
function axisSize(_u, values) {
  if (!values || !values.length) return 48;
  return Math.max(...values.map((v) => String(v).length)) * 7 + 22;
}

/**
 * Paints anomalous periods behind the series.
 * @param {() => Period[]} periods
 */
function shadePlugin(periods) {
  return {
    hooks: {
      drawClear: [
        (/** @type {any} */ u) => {
          const list = periods();
          if (!list.length) return;
          const { left, top, width, height } = u.bbox;
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = theme().shade;
          const now = Date.now();
          for (const p of list) {
            const x0 = Math.max(left, u.valToPos(p.start / 1000, "x", true));
            const x1 = Math.min(left + width, u.valToPos((p.end ?? now) / 1000, "x", true));
            if (x1 > x0 - 2) ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/**
 * A chart in a card. Returns the card element and a handle.
 * @param {ChartOptions} o
 */
export function createChart(o) {
  const fmt = formatterFor(o.unit);
  const plotEl = h("div", { class: "plot" });
  const empty = h("p", { class: "plot-empty", text: "No data in this range.", hidden: true });
  const card = h(
    "section",
    { class: "card chart-card", "aria-label": o.title },
    h("h2", { class: "card-title", text: o.title }),
    plotEl,
    empty,
  );
  const t = theme();
  const axis = {
    stroke: t.muted,
    grid: { stroke: t.grid, width: 1 },
    ticks: { stroke: t.grid, width: 1 },
  };
  const opts = {
    width: o.width ?? 400,
    height: o.height ?? 200,
    cursor: {
      sync: o.syncKey ? { key: o.syncKey } : undefined,
      drag: { x: !!o.onZoom, y: false, setScale: false },
      bind: { dblclick: () => null },
    },
    select: { show: !!o.onZoom },
    scales: {
      x: { time: true },
      y: o.range ? { range: o.range } : {
        range: (
          /** @type {any} */ _u,
          /** @type {number} */ _min,
          /** @type {number} */ max,
        ) => [0, max > 0 ? max * 1.08 : 1],
      },
    },
    axes: [
      { ...axis },
      {
        ...axis,
        size: axisSize,
        splits: o.unit === "bytes" || o.unit === "bytes_per_second" ? binarySplits : undefined,
        values: (/** @type {any} */ _u, /** @type {number[]} */ splits) =>
          splits.map((v) => fmt(v)),
      },
    ],
    series: [
      {},
      ...o.series.map((s, i) => ({
        label: s.label,
        stroke: s.color ?? PALETTE[i % PALETTE.length],
        width: s.width ?? 1.5,
        dash: s.dash,
        fill: s.fill ? `${s.color ?? PALETTE[i % PALETTE.length]}22` : undefined,
        points: { show: false },
        value: (/** @type {any} */ _u, /** @type {number | null} */ v) => fmt(v),
      })),
    ],
    plugins: o.periods ? [shadePlugin(o.periods)] : [],
    hooks: {
      setSelect: [
        (/** @type {any} */ u) => {
          if (!o.onZoom || u.select.width < 5) return;
          const a = u.posToVal(u.select.left, "x");
          const b = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          o.onZoom(Math.round(a * 1000), Math.round(b * 1000));
        },
      ],
    },
  };
  const data = [[], ...o.series.map(() => [])];
  const u = new uPlot(opts, data, plotEl);
  if (o.onReset) u.over.addEventListener("dblclick", () => o.onReset?.());
  const ro = new ResizeObserver(() => {
    const w = Math.floor(plotEl.clientWidth);
    if (w > 0 && w !== u.width) u.setSize({ width: w, height: opts.height });
  });
  ro.observe(plotEl);
  return {
    card,
    u,
    /**
     * Replaces the data: times in ms, one array per series.
     * @param {number[]} tMs
     * @param {(number | null)[][]} values
     * @param {[number, number]} [xRangeMs] the range to show (default: the data's)
     */
    setData(tMs, values, xRangeMs) {
      const ts = tMs.map((x) => x / 1000);
      u.setData([ts, ...values], !xRangeMs);
      if (xRangeMs) u.setScale("x", { min: xRangeMs[0] / 1000, max: xRangeMs[1] / 1000 });
      empty.hidden = values.some((arr) => arr.some((v) => v !== null && v !== undefined));
      // What is drawn, for people inspecting the page and for the browser tests.
      card.dataset.points = String(ts.length);
      card.dataset.from = String(Math.round(xRangeMs?.[0] ?? tMs[0] ?? 0));
      card.dataset.to = String(Math.round(xRangeMs?.[1] ?? tMs[tMs.length - 1] ?? 0));
    },
    /** Repaints (after the shaded periods changed). */
    redraw() {
      u.redraw(false, false);
    },
    destroy() {
      ro.disconnect();
      u.destroy();
      card.remove();
    },
  };
}

/** @typedef {ReturnType<typeof createChart>} Chart */
