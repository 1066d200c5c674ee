// @ts-check
/// <reference lib="dom" />
/** The fleet's aggregate charts (average and maximum CPU and memory, total network and disk). */
import { getJson, query } from "./api.js";
import { createChart } from "./charts.js";
import { h, setText } from "./dom.js";

const RANGES = /** @type {const} */ ([
  ["1h", 3600e3],
  ["6h", 6 * 3600e3],
  ["24h", 86400e3],
  ["7d", 7 * 86400e3],
  ["30d", 30 * 86400e3],
]);

/**
 * Mounts the four aggregate charts and keeps them current.
 * @param {HTMLElement} container
 * @param {{ range: string, onRange: (r: string) => void }} opts
 */
export function mountFleetCharts(container, opts) {
  let range = RANGES.find(([r]) => r === opts.range) ? opts.range : "1h";
  const status = h("span", { class: "muted small", role: "status" });
  const buttons = RANGES.map(([r]) =>
    h("button", {
      type: "button",
      class: "seg",
      "aria-pressed": String(r === range),
      text: r,
      onclick: () => {
        range = r;
        for (const b of buttons) b.setAttribute("aria-pressed", String(b.textContent === r));
        opts.onRange(r);
        load();
      },
    })
  );
  const sync = "gm-fleet";
  const charts = [
    createChart({
      title: "CPU, fleet",
      unit: "percent",
      range: [0, 100],
      syncKey: sync,
      height: 160,
      series: [{ label: "average", fill: true }, { label: "maximum" }],
    }),
    createChart({
      title: "Memory, fleet",
      unit: "percent",
      range: [0, 100],
      syncKey: sync,
      height: 160,
      series: [{ label: "average", fill: true }, { label: "maximum" }],
    }),
    createChart({
      title: "Network, total",
      unit: "bytes_per_second",
      syncKey: sync,
      height: 160,
      series: [{ label: "received" }, { label: "sent" }],
    }),
    createChart({
      title: "Disk, total",
      unit: "bytes_per_second",
      syncKey: sync,
      height: 160,
      series: [{ label: "read" }, { label: "written" }],
    }),
  ];
  const section = h(
    "section",
    { class: "fleet-charts", "aria-label": "Fleet charts" },
    h(
      "div",
      { class: "toolbar" },
      h("h2", { class: "section-title", text: "Fleet over time" }),
      h("div", { class: "segs", role: "group", "aria-label": "Time range" }, ...buttons),
      status,
    ),
    h("div", { class: "chart-grid chart-grid-4" }, ...charts.map((c) => c.card)),
  );
  container.append(section);

  const controller = new AbortController();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  async function load() {
    clearTimeout(timer);
    const ms = RANGES.find(([r]) => r === range)?.[1] ?? 3600e3;
    const to = Date.now();
    try {
      const r = await getJson(
        `/api/fleet/series?${query({ from: to - ms, to, points: 400 })}`,
        controller.signal,
      );
      charts[0].setData(r.t, [r.cpuAvg, r.cpuMax], [to - ms, to]);
      charts[1].setData(r.t, [r.memAvg, r.memMax], [to - ms, to]);
      charts[2].setData(r.t, [r.netRxBps, r.netTxBps], [to - ms, to]);
      charts[3].setData(r.t, [r.diskReadBps, r.diskWriteBps], [to - ms, to]);
      setText(status, "");
    } catch (error) {
      if (controller.signal.aborted) return;
      setText(status, `Fleet charts: ${/** @type {Error} */ (error).message}`);
    }
    // Refresh about every 1/100 of the range (10 s minimum).
    timer = setTimeout(load, Math.max(10_000, ms / 100));
  }
  load();
  return {
    destroy() {
      controller.abort();
      clearTimeout(timer);
      for (const c of charts) c.destroy();
      section.remove();
    },
  };
}
