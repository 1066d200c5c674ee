// @ts-check
/// <reference lib="dom" />
/**
 * One machine: facts, and uPlot charts of every metric it reports over a chosen range (live,
 * 1 h ... 30 d, custom, or a zoomed span), with anomalous periods shaded on every chart.
 */
import { getJson, query } from "./api.js";
import { createChart } from "./chart.js";
import { h, replaceChildren, setText, stateBox } from "./dom.js";
import { eventsTable } from "./events_table.js";
import {
  chartSpecs,
  flattenSample,
  fmtAgo,
  fmtBytes,
  fmtDuration,
  fmtScore,
  fmtTime,
  toLocalInput,
} from "../gen/catalogue.js";
import { MachineAdmin } from "./machine_admin.js";
import { ProcessTable } from "./process_table.js";
import { machineHash, navigate, routeHash } from "./router.js";
import { html, render } from "./ui.js";
import { CLASH_SHOWN_MS, STATUS_WORDS, statusOf, uptimeNow } from "./state.js";

/** @typedef {import("../gen/catalogue.js").ChartSpec} ChartSpec */

/** Preset ranges in ms; "live" is the last 5 minutes, updated with every sample. */
export const RANGES = /** @type {const} */ ([
  ["live", 5 * 60e3],
  ["1h", 3600e3],
  ["6h", 6 * 3600e3],
  ["24h", 86400e3],
  ["7d", 7 * 86400e3],
  ["30d", 30 * 86400e3],
]);
const LIVE_MS = 5 * 60e3;

/**
 * The time span a route asks for.
 * @param {URLSearchParams} params
 * @param {number} now
 * @param {string} [fallback] the preset when the route names none
 * @returns {{ preset: string, from: number, to: number, live: boolean, zoomed: boolean }}
 */
export function resolveRange(params, now, fallback = "1h") {
  const presetParam = params.get("range") ?? fallback;
  const preset = presetParam === "custom" || RANGES.some(([r]) => r === presetParam)
    ? presetParam
    : "1h";
  const from = Number(params.get("from"));
  const to = Number(params.get("to"));
  if (
    params.has("from") && params.has("to") && Number.isFinite(from) && Number.isFinite(to) &&
    to > from
  ) {
    return { preset, from, to, live: false, zoomed: true };
  }
  const ms = RANGES.find(([r]) => r === preset)?.[1] ?? 3600e3;
  return {
    preset: preset === "custom" ? "1h" : preset,
    from: now - ms,
    to: now,
    live: preset === "live",
    zoomed: false,
  };
}

/**
 * The times of a series answer's buckets that hold at least one value (the answer has a bucket
 * for every step of the range, null where there was no sample).
 * @param {{ t: number[], avg?: Record<string, (number | null)[]> }} series
 */
export function timesWithData(series) {
  const columns = Object.values(series.avg ?? {});
  return series.t.filter((_, i) => columns.some((c) => c[i] !== null && c[i] !== undefined));
}

/**
 * Mounts the machine page.
 * @param {HTMLElement} root
 * @param {import("./router.js").Route} route
 * @param {import("../app.js").AppContext} ctx
 */
export function mountMachinePage(root, route, ctx) {
  const id = /** @type {string} */ (route.id);
  let params = route.params;
  const controller = new AbortController();

  const title = h("h1", { class: "machine-name", text: ctx.fleet.machines.get(id)?.name ?? id });
  const badge = h(
    "span",
    { class: "status" },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("span", { class: "status-word" }),
  );
  const alertsLink = h("a", {
    class: "alert-badge alert-badge-wide",
    href: routeHash("/alerts", { machine: id }),
    hidden: true,
  });
  const facts = h("dl", { class: "facts" });
  // Another host reporting with this machine's id (a clone) was refused: say what to do.
  const clashNote = h("p", { class: "clash-note", role: "status", hidden: true });
  const scoreLine = h("p", { class: "score-line" });
  const rangeButtons = RANGES.map(([r]) =>
    h("button", {
      type: "button",
      class: "seg",
      "data-range": r,
      text: r === "live" ? "Live" : r,
      onclick: () => navigate(machineHash(id, { range: r, cores: params.get("cores") })),
    })
  );
  const fromInput = h("input", {
    type: "datetime-local",
    class: "input",
    "aria-label": "From",
    step: "60",
  });
  const toInput = h("input", {
    type: "datetime-local",
    class: "input",
    "aria-label": "To",
    step: "60",
  });
  const customForm = h(
    "form",
    { class: "custom-range" },
    fromInput,
    h("span", { class: "muted", text: "to" }),
    toInput,
    h("button", { type: "submit", class: "btn", text: "Show" }),
  );
  customForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new Date(fromInput.value).getTime();
    const t = new Date(toInput.value).getTime();
    if (!(t > f)) {
      setText(rangeInfo, "The end must be after the start.");
      return;
    }
    navigate(machineHash(id, { range: "custom", from: f, to: t, cores: params.get("cores") }));
  });
  const coresToggle = h("input", { type: "checkbox", id: "per-core" });
  coresToggle.addEventListener(
    "change",
    () =>
      navigate(
        machineHash(id, { ...Object.fromEntries(params), cores: coresToggle.checked ? "1" : "" }),
        { replace: true },
      ),
  );
  const coresLabel = h("label", { class: "check", hidden: true }, coresToggle, " Per core");
  const rangeInfo = h("p", { class: "range-info muted small", role: "status" });
  const chartsEl = h("div", { class: "chart-grid" });
  const status = h("div");
  const eventsEl = h("div");
  const adminHost = h("div");
  const processHost = h("div");
  /** The time under the pointer on a chart, or null. */
  let hoverAt = /** @type {number | null} */ (null);
  const page = h(
    "div",
    { class: "page page-machine" },
    h("p", { class: "crumbs" }, h("a", { href: "#/", text: "← Fleet" })),
    h("div", { class: "page-head" }, title, badge, alertsLink),
    clashNote,
    scoreLine,
    facts,
    h(
      "div",
      { class: "toolbar range-bar" },
      h("div", { class: "segs", role: "group", "aria-label": "Time range" }, ...rangeButtons),
      customForm,
      coresLabel,
    ),
    rangeInfo,
    status,
    chartsEl,
    h(
      "section",
      { class: "card", "aria-label": "Anomaly events" },
      h("h2", { class: "card-title", text: "Anomaly events in this range" }),
      eventsEl,
    ),
    processHost,
    adminHost,
  );
  root.append(page);

  /** @type {{ spec: ChartSpec, chart: import("./chart.js").ChartHandle }[]} */
  let charts = [];
  let signature = "";
  let buildFrame = 0;
  /** @type {{ t: number[], column: (key: string) => (number | null)[] } | null} */
  let lastDraw = null;
  /** @type {{ start: number, end: number | null }[]} */
  let periods = [];
  /** @type {any[]} */
  let events = [];
  /** The preset when the route names none ("live" for a machine that has just joined). */
  let fallbackPreset = "1h";
  let span = resolveRange(params, Date.now(), fallbackPreset);
  /** Live mode buffers: times and values per key. */
  let liveT = /** @type {number[]} */ ([]);
  /** @type {Map<string, (number | null)[]>} */
  let liveV = new Map();
  let liveFrame = 0;
  let loadSeq = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;

  function renderFacts() {
    const m = ctx.fleet.machines.get(id);
    if (!m) return;
    const info = m.info ?? {};
    setText(title, m.name);
    document.title = `${m.name} · gridmon`;
    const s = statusOf(m);
    badge.className = `status status-${s}`;
    setText(/** @type {Element} */ (badge.lastChild), STATUS_WORDS[s]);
    alertsLink.hidden = m.alerts === 0;
    setText(alertsLink, `${m.alerts} alert${m.alerts === 1 ? "" : "s"} firing`);
    const now = Date.now();
    const clash = info.clash;
    clashNote.hidden = !clash || now - clash.lastAt > CLASH_SHOWN_MS;
    if (clash) {
      setText(
        clashNote,
        `Another host, ${clash.hostname} (${clash.peer}), tried to report as this machine ` +
          `(${clash.attempts}×, last ${fmtTime(clash.lastAt)}) and was refused: it shares this ` +
          `machine id, as a cloned VM or container does. Start its worker with --machine-id ` +
          `set to an id of its own (or GRIDMON_MACHINE_ID).`,
      );
    }
    /** @type {[string, string][]} */
    const rows = [
      ["Hostname", m.hostname],
      ["OS", [info.osName ?? info.os, info.kernel].filter(Boolean).join(", ")],
      [
        "Hardware",
        `${info.cores ?? "?"} cores, ${fmtBytes(info.memTotal)} RAM, ${info.arch ?? ""}`,
      ],
      ["Uptime", fmtDuration(uptimeNow(m, now))],
      ["Last sample", m.lastSeen ? `${fmtTime(m.lastSeen)} (${fmtAgo(m.lastSeen, now)})` : "never"],
      [
        "Agent",
        `${info.agentVersion ?? "?"}, every ${fmtDuration((info.intervalMs ?? 1000) / 1000)}`,
      ],
    ];
    if (facts.children.length !== rows.length) {
      facts.replaceChildren(...rows.map(([k]) => h("div", {}, h("dt", { text: k }), h("dd"))));
    }
    rows.forEach(([, v], i) => setText(/** @type {Element} */ (facts.children[i].lastChild), v));
    setText(
      scoreLine,
      m.score === null
        ? "Anomaly detector: learning this machine's normal behaviour."
        : `Anomaly score ${fmtScore(m.score)} · ${
          m.anomalous ? `Anomalous${m.reason ? ` (${m.reason})` : ""}` : "Normal"
        }`,
    );
    scoreLine.className = `score-line ${m.anomalous ? "is-anomalous" : ""}`;
    render(
      html`
        <${MachineAdmin} id=${id} name=${m.name} online=${m.online}
          expectedOffline=${info.expectedOffline ?? null}
          onMarked=${(/** @type {any} */ e) =>
            ctx.fleet.updateMachine({ ...ctx.fleet.machines.get(id)?.info, expectedOffline: e })}
          onRemoved=${() => navigate("#/")} />
      `,
      adminHost,
    );
  }

  function syncControls() {
    for (const b of rangeButtons) {
      b.setAttribute("aria-pressed", String(!span.zoomed && b.dataset.range === span.preset));
    }
    coresToggle.checked = params.get("cores") === "1";
    showSpan();
  }

  /** The from/to fields and the line under them say what the charts show (they move in Live). */
  function showSpan() {
    // Not while a person is typing a date into them.
    if (document.activeElement !== fromInput) fromInput.value = toLocalInput(span.from);
    if (document.activeElement !== toInput) toInput.value = toLocalInput(span.to);
    setText(
      rangeInfo,
      `${span.live ? "Live: " : ""}${fmtTime(span.from)} – ${fmtTime(span.to)}${
        span.live
          ? ", updated with every sample · drag on a chart to zoom"
          : span.zoomed
          ? " · double-click a chart to reset"
          : " · drag on a chart to zoom"
      }`,
    );
  }

  /**
   * Whether a route without a range should show Live instead of the last hour: the machine
   * joined within the hour and its data covers less than half of it (a sliver at the right
   * edge of the charts). A back-filled newcomer keeps its hour.
   * @param {number[]} withData the times of the hour's buckets that hold samples
   */
  function wantsLive(withData) {
    if (params.has("range") || span.preset !== "1h" || span.zoomed) return false;
    const firstData = withData.length ? withData[0] : Infinity;
    return youngerThan(span.from) && firstData > span.from + (span.to - span.from) / 2;
  }

  /** Whether the machine's first sample came after `from` (so a thin chart is still filling). */
  function youngerThan(/** @type {number} */ from) {
    const firstSeen = ctx.fleet.machines.get(id)?.info?.firstSeen;
    return typeof firstSeen === "number" && firstSeen > from;
  }

  /** The process table at the hovered time, else at the range's end (Live: the newest scan). */
  function drawProcesses() {
    const at = hoverAt ?? (span.live ? null : span.to);
    render(html`<${ProcessTable} id=${id} at=${at} live=${span.live} />`, processHost);
  }

  /**
   * The plot width each chart will get (mirrors `.chart-grid` and `.card` in style.css), so
   * that uPlot draws once at the right size instead of once more on the first resize.
   */
  function plotWidth() {
    const total = chartsEl.clientWidth || 800;
    const gap = 14;
    const columns = Math.max(1, Math.floor((total + gap) / (520 + gap)));
    return Math.floor((total - gap * (columns - 1)) / columns) - 2 * 14 - 2;
  }

  /**
   * Builds the charts for `keys` unless the same set is already drawn.
   * @param {Set<string>} keys
   */
  function ensureCharts(keys) {
    const specs = chartSpecs(keys, params.get("cores") === "1");
    coresLabel.hidden = ![...keys].some((k) => k.startsWith("core:"));
    const sig = JSON.stringify(specs);
    if (sig === signature) return;
    signature = sig;
    for (const c of charts) c.chart.destroy();
    charts = [];
    chartsEl.replaceChildren();
    cancelAnimationFrame(buildFrame);
    const width = plotWidth();
    const make = (/** @type {ChartSpec} */ spec) => ({
      spec,
      chart: createChart({
        title: spec.title,
        unit: spec.unit,
        range: spec.range,
        series: spec.series,
        syncKey: `gm-machine`,
        width,
        periods: () => periods,
        onHoverTime: (t) => {
          if (t === hoverAt) return;
          hoverAt = t;
          drawProcesses();
        },
        onZoom: (from, to) =>
          navigate(machineHash(id, { range: span.preset, from, to, cores: params.get("cores") })),
        onReset: () => {
          if (span.zoomed) {
            navigate(
              machineHash(id, {
                range: span.preset === "custom" ? "1h" : span.preset,
                cores: params.get("cores"),
              }),
            );
          }
        },
      }),
    });
    // A few charts per frame, so opening a machine never blocks the page for long.
    let next = 0;
    const build = () => {
      const batch = specs.slice(next, next + 3).map(make);
      next += batch.length;
      charts.push(...batch);
      chartsEl.append(...batch.map((c) => c.chart.card));
      if (lastDraw) { for (const c of batch) drawOne(c, lastDraw.t, lastDraw.column); }
      if (next < specs.length) buildFrame = requestAnimationFrame(build);
    };
    build();
  }

  /**
   * @param {number[]} t
   * @param {(key: string) => (number | null)[]} column
   */
  function draw(t, column) {
    lastDraw = { t, column };
    for (const c of charts) drawOne(c, t, column);
  }

  /**
   * @param {{ spec: ChartSpec, chart: import("./chart.js").ChartHandle }} c
   * @param {number[]} t
   * @param {(key: string) => (number | null)[]} column
   */
  function drawOne({ spec, chart }, t, column) {
    chart.setData(t, spec.series.map((s) => column(s.key) ?? t.map(() => null)), [
      span.from,
      span.to,
    ]);
  }

  function pointsWanted() {
    return Math.max(300, Math.min(2000, Math.round(chartsEl.clientWidth || 800)));
  }

  async function load() {
    const seq = ++loadSeq;
    clearTimeout(retryTimer);
    span = resolveRange(params, Date.now(), fallbackPreset);
    syncControls();
    drawProcesses();
    ctx.subscribe(span.live ? [id] : []);
    if (!charts.length) replaceChildren(status, stateBox("loading", "Loading charts…"));
    try {
      const [machine, series, evs] = await Promise.all([
        ctx.fleet.machines.has(id)
          ? null
          : getJson(`/api/machines/${encodeURIComponent(id)}`, controller.signal),
        getJson(
          `/api/machines/${encodeURIComponent(id)}/series?${
            query({
              from: Math.round(span.from),
              to: Math.round(span.to),
              points: span.live ? 1000 : pointsWanted(),
            })
          }`,
          controller.signal,
        ),
        getJson(
          `/api/anomalies?${
            query({ from: Math.round(span.from), to: Math.round(span.to), machine: id, limit: 500 })
          }`,
          controller.signal,
        ),
      ]);
      if (seq !== loadSeq) return;
      if (machine) ctx.fleet.updateMachine(machine);
      renderFacts();
      const withData = timesWithData(series);
      if (wantsLive(withData)) {
        fallbackPreset = "live";
        return load();
      }
      events = Array.isArray(evs) ? evs : [];
      periods = events.map((e) => ({ start: e.start, end: e.end }));
      const keys = new Set(Object.keys(series.avg ?? {}));
      const collecting = youngerThan(span.from) && withData.length < 2;
      if (keys.size === 0 || series.t.length === 0 || collecting) {
        cancelAnimationFrame(buildFrame);
        for (const c of charts) c.chart.destroy();
        charts = [];
        signature = "";
        chartsEl.replaceChildren();
        replaceChildren(
          status,
          collecting
            ? stateBox(
              "loading",
              "Collecting data…",
              h("p", {
                text: "This machine has just joined: its charts start with its first samples, " +
                  "a few seconds from now.",
              }),
            )
            : stateBox(
              "empty",
              "No samples in this range.",
              h("p", {
                text: "Pick a longer range, or check that the worker on this machine is running.",
              }),
            ),
        );
        // Live: the charts come with the next samples.
        if (collecting && span.live) retryTimer = setTimeout(load, 3000);
      } else {
        status.replaceChildren();
        ensureCharts(keys);
        draw(series.t, (k) => series.avg[k]);
      }
      replaceChildren(
        eventsEl,
        events.length
          ? eventsTable(events, { showMachine: false, now: Date.now() })
          : h("p", { class: "muted", text: "None: this machine behaved normally in this range." }),
      );
      if (span.live) {
        liveT = series.t.slice();
        liveV = new Map(Object.entries(series.avg));
      }
    } catch (error) {
      if (controller.signal.aborted || seq !== loadSeq) return;
      const err = /** @type {import("./api.js").ApiError} */ (error);
      if (err.status === 404) {
        replaceChildren(
          status,
          stateBox(
            "error",
            "No machine with this id.",
            h("a", { href: "#/", text: "Back to the fleet" }),
          ),
        );
        return;
      }
      replaceChildren(
        status,
        stateBox(
          "error",
          `Could not load the charts: ${err.message}`,
          h("p", { text: "Retrying in 5 s…" }),
        ),
      );
      retryTimer = setTimeout(load, 5000);
    }
  }

  /** @param {any} msg */
  function onLive(msg) {
    if (msg.type === "anomaly" && msg.event?.machineId === id) {
      const e = msg.event;
      const i = events.findIndex((x) => x.id === e.id);
      if (i >= 0) events[i] = e;
      else events.unshift(e);
      periods = events.map((x) => ({ start: x.start, end: x.end }));
      for (const c of charts) c.chart.redraw();
      replaceChildren(eventsEl, eventsTable(events, { showMachine: false, now: Date.now() }));
      return;
    }
    if (msg.type !== "sample" || msg.machineId !== id || !span.live || !msg.sample) return;
    const flat = flattenSample(msg.sample);
    if (msg.verdict && typeof msg.verdict.score === "number") {
      flat.set("anomaly.score", msg.verdict.score);
    }
    const ts = Number(msg.sample.ts);
    if (liveT.length && ts <= liveT[liveT.length - 1]) return;
    liveT.push(ts);
    for (const [key, arr] of liveV) arr.push(flat.get(key) ?? null);
    const cutoff = ts - LIVE_MS - 5000;
    let drop = 0;
    while (drop < liveT.length && liveT[drop] < cutoff) drop++;
    if (drop) {
      liveT.splice(0, drop);
      for (const arr of liveV.values()) arr.splice(0, drop);
    }
    if (!liveFrame) {
      liveFrame = requestAnimationFrame(() => {
        liveFrame = 0;
        const now = Date.now();
        span = { ...span, from: now - LIVE_MS, to: now };
        showSpan();
        draw(liveT, (k) => liveV.get(k) ?? []);
      });
    }
  }

  const offMessage = ctx.onMessage(onLive);
  const offFleet = ctx.fleet.subscribe(() => renderFacts());
  const clock = setInterval(renderFacts, 1000);
  renderFacts();
  load();

  return {
    /** @param {import("./router.js").Route} r */
    update(r) {
      params = r.params;
      load();
      return true;
    },
    unmount() {
      controller.abort();
      clearTimeout(retryTimer);
      clearInterval(clock);
      cancelAnimationFrame(liveFrame);
      cancelAnimationFrame(buildFrame);
      offMessage();
      offFleet();
      ctx.subscribe([]);
      for (const c of charts) c.chart.destroy();
      render(null, adminHost);
      render(null, processHost);
      page.remove();
    },
  };
}
