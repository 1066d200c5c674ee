// @ts-check
/// <reference lib="dom" />
/**
 * A uPlot chart as a component, with the UI's conventions: theme colours from CSS, values with
 * units, anomalous periods shaded, drag-to-zoom reported to the page (which fetches that range
 * at a finer step), double-click to reset, and cursors synced across the charts of a page.
 * Mounting creates the plot, new `data` or `periods` update it, unmounting destroys it; a chart
 * whose series or unit change is a new chart (give it another `key`).
 */
import { fmtTime, formatterFor } from "../gen/catalogue.js";
import { h, setText } from "./dom.js";
import { seriesStats } from "./series_stats.js";
import { cssVar, html, uPlot, useEffect, useLayoutEffect, useRef } from "./ui.js";

const NO_DATA = "No data in this range.";

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
 *   onHoverTime?: (ms: number | null) => void,
 * }} ChartOptions
 * @typedef {{ t: number[], values: (number | null)[][], xRange?: [number, number] }} ChartData
 *   times in ms, one array per series, and the range to show (default: the data's)
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
 * Whether to draw a series' points as dots: when it has fewer than 30 values in view.
 * @param {any} u
 * @param {number} seriesIdx
 */
function sparsePoints(u, seriesIdx) {
  const values = u.data[seriesIdx] ?? [];
  let n = 0;
  for (const v of values) if (v !== null && v !== undefined && ++n >= 30) return false;
  return true;
}

/**
 * Time axis labels in the one format the UI uses everywhere (fmtTime: 2026-12-02 17:40:05):
 * seconds only when the ticks are less than a minute apart, the date under the first tick of
 * each day, dates alone when the ticks are days apart.
 * @param {any} _u
 * @param {number[]} splits seconds
 * @param {number} _axis
 * @param {number} _space
 * @param {number} incr seconds between ticks
 */
function timeTicks(_u, splits, _axis, _space, incr) {
  let prevDay = "";
  return splits.map((sec) => {
    const full = fmtTime(sec * 1000);
    const day = full.slice(0, 10);
    if (incr >= 86400) return day;
    const time = incr < 60 ? full.slice(11) : full.slice(11, 16);
    const label = day === prevDay ? time : `${time}\n${day}`;
    prevDay = day;
    return label;
  });
}

/**
 * uPlot's options for a chart.
 * @param {ChartOptions} o
 * @param {(u: any) => void} onCursor
 */
function chartOptions(o, onCursor) {
  const fmt = formatterFor(o.unit);
  const t = theme();
  const axis = {
    stroke: t.muted,
    grid: { stroke: t.grid, width: 1 },
    ticks: { stroke: t.grid, width: 1 },
  };
  return {
    width: o.width ?? 400,
    height: o.height ?? 200,
    cursor: {
      sync: o.syncKey ? { key: o.syncKey } : undefined,
      drag: { x: !!o.onZoom, y: false, setScale: false },
      bind: { dblclick: () => null },
    },
    legend: { show: false },
    select: { show: !!o.onZoom, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: true },
      y: o.range ? { range: o.range } : {
        range: (
          /** @type {any} */ _u,
          /** @type {number} */ _min,
          /** @type {number} */ max,
        ) => /** @type {[number, number]} */ ([0, max > 0 ? max * 1.08 : 1]),
      },
    },
    axes: [
      { ...axis, values: timeTicks, space: 60 },
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
        // Dots only where the points are few and far apart (a chart's first minutes), so a
        // lone point is seen instead of a blank chart.
        points: { show: sparsePoints },
        value: (/** @type {any} */ _u, /** @type {number | null} */ v) => fmt(v),
      })),
    ],
    plugins: o.periods ? [shadePlugin(o.periods)] : [],
    hooks: {
      setCursor: [onCursor],
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
}

/**
 * A series' colour as a small bar (set through the CSSOM: the CSP forbids style attributes).
 * @param {string} color
 */
function swatch(color) {
  const el = h("span", { class: "legend-swatch", "aria-hidden": "true" });
  el.style.background = color;
  return el;
}

/**
 * The legend under a chart: per series its colour and name, the value at the cursor (the last
 * value of the range when the cursor is elsewhere), and the range's minimum, average and maximum.
 * @param {ChartOptions} o
 */
function createLegend(o) {
  const fmt = formatterFor(o.unit);
  const nowHead = h("th", { scope: "col", class: "num", text: "Last" });
  const rows = o.series.map((s, i) =>
    h(
      "tr",
      { "data-series": s.label },
      h(
        "th",
        { scope: "row" },
        swatch(s.color ?? PALETTE[i % PALETTE.length]),
        s.label,
      ),
      ...["now", "min", "avg", "max"].map((k) => h("td", { class: "num", "data-stat": k })),
    )
  );
  const table = h(
    "table",
    { class: "chart-legend" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }),
        nowHead,
        ...["Min", "Avg", "Max"].map((t) => h("th", { scope: "col", class: "num", text: t })),
      ),
    ),
    h("tbody", {}, ...rows),
  );
  // On a narrow screen the legend scrolls sideways inside the card, never the page.
  const el = h("div", { class: "legend-scroll" }, table);
  /** @type {import("./series_stats.js").SeriesStats[]} */
  let stats = [];
  const cell = (
    /** @type {number} */ i,
    /** @type {number} */ k,
  ) => /** @type {HTMLElement} */ (rows[i].children[k + 1]);
  return {
    el,
    /** @param {import("./series_stats.js").SeriesStats[]} next */
    setStats(next) {
      stats = next;
      next.forEach((st, i) => {
        setText(cell(i, 0), fmt(st.last));
        setText(cell(i, 1), fmt(st.min));
        setText(cell(i, 2), fmt(st.avg));
        setText(cell(i, 3), fmt(st.max));
      });
    },
    /** The value at the cursor, or the last one when the cursor left the plot. @param {any} u */
    hover(u) {
      const idx = u.cursor.idx;
      const at = idx === null || idx === undefined ? null : u.data[0][idx];
      setText(nowHead, at === null ? "Last" : fmtTime(at * 1000));
      rows.forEach((_, i) =>
        setText(cell(i, 0), fmt(at === null ? stats[i]?.last ?? null : u.data[i + 1][idx]))
      );
    },
  };
}

/**
 * A plot inside an existing card: the one place a uPlot chart is made, used by the `Chart`
 * component and by pages that build their DOM themselves (`createChart`). The card carries
 * what is drawn (`data-points`, `data-from`, `data-to`) for people inspecting the page and for
 * the browser tests.
 * @param {{ card: HTMLElement, plotEl: HTMLElement, emptyEl: HTMLElement }} els
 * @param {ChartOptions} o
 */
export function createPlot({ card, plotEl, emptyEl }, o) {
  const legend = createLegend(o);
  const opts = chartOptions(o, (u) => {
    legend.hover(u);
    const idx = u.cursor.idx;
    o.onHoverTime?.(idx === null || idx === undefined ? null : u.data[0][idx] * 1000);
  });
  const u = new uPlot(opts, [[], ...o.series.map(() => [])], plotEl);
  plotEl.append(legend.el);
  if (o.onReset) u.over.addEventListener("dblclick", () => o.onReset?.());
  const ro = new ResizeObserver(() => {
    const w = Math.floor(plotEl.clientWidth);
    if (w > 0 && w !== u.width) u.setSize({ width: w, height: opts.height });
  });
  ro.observe(plotEl);
  return {
    u,
    /** @param {ChartData} data */
    setData(data) {
      const ts = data.t.map((x) => x / 1000);
      u.setData([ts, ...data.values], !data.xRange);
      legend.setStats(data.values.map((v) => seriesStats(data.t, v, data.xRange)));
      if (data.xRange) u.setScale("x", { min: data.xRange[0] / 1000, max: data.xRange[1] / 1000 });
      emptyEl.hidden = data.values.some((arr) => arr.some((v) => v !== null && v !== undefined));
      card.dataset.points = String(ts.length);
      card.dataset.from = String(Math.round(data.xRange?.[0] ?? data.t[0] ?? 0));
      card.dataset.to = String(Math.round(data.xRange?.[1] ?? data.t[data.t.length - 1] ?? 0));
    },
    /** Repaints (after the shaded periods changed). */
    redraw() {
      u.redraw(false, false);
    },
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}

/**
 * A chart in a card built with the DOM helpers, for pages not (yet) made of components.
 * @param {ChartOptions} o
 */
export function createChart(o) {
  const plotEl = h("div", { class: "plot" });
  const emptyEl = h("p", { class: "plot-empty", text: NO_DATA, hidden: true });
  const card = h(
    "section",
    { class: "card chart-card", "aria-label": o.title },
    h("h2", { class: "card-title", text: o.title }),
    plotEl,
    emptyEl,
  );
  const plot = createPlot({ card, plotEl, emptyEl }, o);
  return {
    card,
    u: plot.u,
    /**
     * Replaces the data: times in ms, one array per series.
     * @param {number[]} t
     * @param {(number | null)[][]} values
     * @param {[number, number]} [xRange] the range to show (default: the data's)
     */
    setData: (t, values, xRange) => plot.setData({ t, values, xRange }),
    redraw: plot.redraw,
    destroy() {
      plot.destroy();
      card.remove();
    },
  };
}

/** @typedef {ReturnType<typeof createChart>} ChartHandle */

/**
 * A chart in a card. `data` and `periods` may change; the rest is read once, at mount.
 * @param {Omit<ChartOptions, "periods"> & { data: ChartData | null, periods?: Period[],
 *   note?: string }} props
 */
export function Chart(props) {
  // `note`: said under the plot instead of "No data in this range." (e.g. collecting data).
  const plotRef = useRef(/** @type {HTMLDivElement | null} */ (null));
  const cardRef = useRef(/** @type {HTMLElement | null} */ (null));
  const emptyRef = useRef(/** @type {HTMLParagraphElement | null} */ (null));
  const plotHandle = useRef(/** @type {ReturnType<typeof createPlot> | null} */ (null));
  const latest = useRef(props);
  latest.current = props;

  useLayoutEffect(() => {
    const o = latest.current;
    const plot = createPlot({
      card: /** @type {HTMLElement} */ (cardRef.current),
      plotEl: /** @type {HTMLElement} */ (plotRef.current),
      emptyEl: /** @type {HTMLElement} */ (emptyRef.current),
    }, {
      ...o,
      periods: () => latest.current.periods ?? [],
      onZoom: o.onZoom && ((from, to) => latest.current.onZoom?.(from, to)),
      onReset: o.onReset && (() => latest.current.onReset?.()),
    });
    plotHandle.current = plot;
    return () => {
      plot.destroy();
      plotHandle.current = null;
    };
  }, []);

  useLayoutEffect(() => {
    if (props.data) plotHandle.current?.setData(props.data);
    if (props.note) /** @type {HTMLElement} */ (emptyRef.current).hidden = false;
  }, [props.data, props.note]);

  useEffect(() => {
    plotHandle.current?.redraw();
  }, [props.periods]);

  return html`
    <section class="card chart-card" aria-label=${props.title} ref=${cardRef}>
      <h2 class="card-title">${props.title}</h2>
      <div class="plot" ref=${plotRef}></div>
      <p class="plot-empty" hidden ref=${emptyRef}>${props.note ?? NO_DATA}</p>
    </section>
  `;
}
