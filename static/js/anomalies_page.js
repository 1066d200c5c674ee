// @ts-check
/// <reference lib="dom" />
/**
 * Anomalies: the CPU-versus-memory scatter (anomalies in red), the events table, and the latest
 * state of every machine.
 */
import { getJson, query } from "./api.js";
import { h, replaceChildren, setText, stateBox } from "./dom.js";
import { eventsTable } from "./events_table.js";
import { machineHash, navigate, routeHash } from "./router.js";
import { makeRangeButtons, rangeMs, routeRange } from "./history_range.js";
import { drawScatter, nearestPoint } from "./scatter.js";
import { fmtPct, fmtScore, fmtTime } from "../gen/catalogue.js";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * Mounts the anomalies page.
 * @param {HTMLElement} root
 * @param {import("./router.js").Route} route
 * @param {import("../app.js").AppContext} ctx
 */
export function mountAnomaliesPage(root, route, ctx) {
  let machine = route.params.get("machine") ?? "";
  let range = routeRange(route);
  const controller = new AbortController();
  document.title = "Anomalies · gridmon";

  const machineSelect = h("select", { class: "input", "aria-label": "Machine" });
  machineSelect.addEventListener(
    "change",
    () => navigate(routeHash("/anomalies", { machine: machineSelect.value, range })),
  );
  const rangeButtons = makeRangeButtons((r) =>
    navigate(routeHash("/anomalies", { machine, range: r }))
  );
  const canvas = h("canvas", {
    class: "scatter",
    role: "img",
    "aria-label": "CPU versus memory, anomalies in red",
  });
  const scatterInfo = h("p", { class: "muted small", role: "status" });
  const tip = h("div", { class: "tip", hidden: true });
  const plotBox = h("div", { class: "scatter-box" }, canvas, tip);
  canvas.addEventListener("mousemove", (e) => {
    const i = scatter ? nearestPoint(canvas, scatter, e.offsetX, e.offsetY) : -1;
    tip.hidden = i < 0;
    canvas.classList.toggle("pointing", i >= 0);
    if (i < 0) return;
    const name = scatter.machines[scatter.machine[i]] ?? "";
    const m = ctx.fleet.machines.get(name);
    replaceChildren(
      tip,
      h("strong", { text: m?.name ?? name }),
      h("span", { text: fmtTime(scatter.t[i]) }),
      h("span", { text: `CPU ${fmtPct(scatter.cpu[i])} · memory ${fmtPct(scatter.mem[i])}` }),
      scatter.anomalous[i]
        ? h("span", { class: "tip-bad", text: `anomalous, score ${fmtScore(scatter.score[i])}` })
        : null,
    );
    tip.style.left = `${Math.min(e.offsetX + 12, canvas.clientWidth - 200)}px`;
    tip.style.top = `${e.offsetY + 12}px`;
  });
  canvas.addEventListener("mouseleave", () => (tip.hidden = true));
  canvas.addEventListener("click", (e) => {
    const i = scatter ? nearestPoint(canvas, scatter, e.offsetX, e.offsetY) : -1;
    if (i < 0) return;
    const id = scatter.machines[scatter.machine[i]];
    if (id) {
      navigate(
        machineHash(id, {
          range: "custom",
          from: scatter.t[i] - 15 * 60e3,
          to: scatter.t[i] + 15 * 60e3,
        }),
      );
    }
  });
  const eventsEl = h("div");
  const statesEl = h("div");
  const page = h(
    "div",
    { class: "page page-anomalies" },
    h("div", { class: "page-head" }, h("h1", { text: "Anomalies" })),
    h(
      "div",
      { class: "toolbar" },
      machineSelect,
      h("div", { class: "segs", role: "group", "aria-label": "Time range" }, ...rangeButtons),
    ),
    h(
      "div",
      { class: "anomaly-grid" },
      h(
        "section",
        { class: "card", "aria-label": "CPU versus memory" },
        h("h2", { class: "card-title", text: "CPU versus memory" }),
        h(
          "p",
          { class: "legend-line" },
          h("span", { class: "key key-normal", "aria-hidden": "true" }),
          "normal ",
          h("span", { class: "key key-anomalous", "aria-hidden": "true" }),
          "anomalous",
        ),
        plotBox,
        scatterInfo,
      ),
      h(
        "section",
        { class: "card", "aria-label": "Latest state" },
        h("h2", { class: "card-title", text: "Latest state per machine" }),
        statesEl,
      ),
    ),
    h(
      "section",
      { class: "card", "aria-label": "Events" },
      h("h2", { class: "card-title", text: "Events" }),
      eventsEl,
    ),
  );
  root.append(page);

  /** @type {any} */
  let scatter = null;

  let selectSignature = "";
  /** Lists the machines in the picker; rebuilt only when machines come, go or are renamed. */
  function fillMachineSelect() {
    const list = [...ctx.fleet.machines.values()].sort((a, b) => collator.compare(a.name, b.name));
    const signature = list.map((m) => `${m.id}\0${m.name}`).join("\n");
    if (signature !== selectSignature) {
      selectSignature = signature;
      machineSelect.replaceChildren(
        h("option", { value: "", text: "All machines" }),
        ...list.map((m) => h("option", { value: m.id, text: m.name })),
      );
    }
    machineSelect.value = machine;
  }

  // A grid of divs rather than a <table>: rows off screen skip layout (content-visibility),
  // which keeps a fleet of 1,000 machines cheap to show.
  const statesBody = h("div", { role: "rowgroup", class: "st-body" });
  const statesTable = h(
    "div",
    { role: "table", class: "st", "aria-label": "Latest state per machine" },
    h(
      "div",
      { role: "rowgroup", class: "st-head" },
      h(
        "div",
        { role: "row", class: "st-row" },
        h("span", { role: "columnheader", text: "Machine" }),
        h("span", { role: "columnheader", text: "State" }),
        h("span", { role: "columnheader", class: "num", text: "Score" }),
      ),
    ),
    statesBody,
  );
  /** @typedef {{ tr: HTMLElement, link: HTMLElement, word: HTMLElement, score: HTMLElement }} StateRow */
  /** @type {Map<string, StateRow>} */
  const stateRows = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let batchTimer;

  function renderStates() {
    const list = [...ctx.fleet.machines.values()]
      .filter((m) => !machine || m.id === machine)
      .sort((a, b) =>
        // Anomalous first, then by name: a stable order, so live score changes move no rows.
        Number(b.anomalous) - Number(a.anomalous) || collator.compare(a.name, b.name)
      );
    if (!ctx.loaded()) {
      replaceChildren(statesEl, stateBox("loading", "Loading machines…"));
      return;
    }
    if (!list.length) {
      replaceChildren(
        statesEl,
        stateBox(
          "empty",
          "No machines yet.",
          h("a", { href: "#/", text: "The fleet page shows how to add one." }),
        ),
      );
      return;
    }
    if (!statesTable.isConnected) {
      replaceChildren(statesEl, h("div", { class: "table-scroll tall" }, statesTable));
    }
    // Rows are kept per machine and only their changed text is rewritten. The first screenful
    // goes in now, the rest in small batches, so no single task lays out the whole fleet.
    const seen = new Set(list.map((m) => m.id));
    for (const [id, row] of stateRows) {
      if (!seen.has(id)) {
        row.tr.remove();
        stateRows.delete(id);
      }
    }
    clearTimeout(batchTimer);
    let k = 0;
    let moving = false;
    /** Brings rows k.. up to date, `size` of them; returns where it stopped. */
    const batch = (/** @type {number} */ size) => {
      const end = Math.min(list.length, k + size);
      for (; k < end; k++) stateRow(list[k]);
      return end;
    };
    const place = () => {
      const start = k;
      const end = batch(k === 0 ? 60 : 250);
      const rows = list.slice(start, end).map((m) =>
        /** @type {StateRow} */ (stateRows.get(m.id)).tr
      );
      const current = statesBody.children;
      if (moving || rows.some((tr, i) => current[start + i] !== tr)) {
        // From the first row out of place on, every row is appended (moved) in order.
        moving = true;
        statesBody.append(...rows);
      }
      if (end < list.length) batchTimer = setTimeout(place, 16);
      else while (statesBody.children.length > list.length) statesBody.lastChild?.remove();
    };
    place();
  }

  /**
   * The row of a machine, created on first use, with its text brought up to date.
   * @param {import("./state.js").MachineView} m
   */
  function stateRow(m) {
    let row = stateRows.get(m.id);
    if (!row) {
      const link = h("a", { href: machineHash(m.id) });
      const word = h("span");
      const score = h("span", { role: "cell", class: "num" });
      row = {
        tr: h(
          "div",
          { role: "row", class: "st-row" },
          h("span", { role: "cell" }, link),
          h("span", { role: "cell" }, word),
          score,
        ),
        link,
        word,
        score,
      };
      stateRows.set(m.id, row);
    }
    setText(row.link, m.name);
    const cls = `state-word ${
      m.anomalous ? "is-anomalous" : m.score === null ? "is-warming" : "is-normal"
    }`;
    if (row.word.className !== cls) row.word.className = cls;
    setText(row.word, m.score === null ? "Learning" : m.anomalous ? "Anomalous" : "Normal");
    setText(row.score, fmtScore(m.score));
    return row.tr;
  }

  async function load() {
    for (const b of rangeButtons) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    fillMachineSelect();
    renderStates();
    const ms = rangeMs(range);
    const to = Date.now();
    const from = to - ms;
    // The tip described a point of the old selection: it goes with it.
    tip.hidden = true;
    if (!eventsEl.querySelector("table")) {
      replaceChildren(eventsEl, stateBox("loading", "Loading events…"));
    }
    try {
      const [sc, events] = await Promise.all([
        getJson(`/api/scatter?${query({ from, to, machine, limit: 5000 })}`, controller.signal),
        getJson(`/api/anomalies?${query({ from, to, machine, limit: 500 })}`, controller.signal),
      ]);
      scatter = sc;
      tip.hidden = true;
      drawScatter(canvas, sc);
      const anomalousCount = sc.anomalous.reduce(
        (/** @type {number} */ a, /** @type {number} */ b) => a + b,
        0,
      );
      setText(
        scatterInfo,
        sc.cpu.length
          ? `${sc.cpu.length} samples, ${anomalousCount} anomalous.`
          : "No samples in this range yet.",
      );
      replaceChildren(
        eventsEl,
        events.length ? eventsTable(events, { showMachine: true, now: Date.now() }) : stateBox(
          "empty",
          "No anomaly events in this range.",
          h("p", {
            text:
              "Events appear here when a machine's anomaly score stays high. Try a longer range.",
          }),
        ),
      );
    } catch (error) {
      if (controller.signal.aborted) return;
      replaceChildren(
        eventsEl,
        stateBox(
          "error",
          `Could not load anomalies: ${/** @type {Error} */ (error).message}`,
          h("button", { type: "button", class: "btn", text: "Retry", onclick: load }),
        ),
      );
    }
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reloadTimer;
  const offMessage = ctx.onMessage((msg) => {
    // At most one reload per 5 s however many events open, change or close.
    if (msg.type === "anomaly" && reloadTimer === undefined) {
      reloadTimer = setTimeout(() => {
        reloadTimer = undefined;
        load();
      }, 5000);
    }
  });
  let statesQueued = false;
  const offFleet = ctx.fleet.subscribe((kind) => {
    if (kind === "structure") fillMachineSelect();
    if (statesQueued) return;
    statesQueued = true;
    setTimeout(() => {
      statesQueued = false;
      renderStates();
    }, 2000);
  });
  const ro = new ResizeObserver(() => scatter && drawScatter(canvas, scatter));
  ro.observe(canvas);
  const refresh = setInterval(load, 60_000);
  load();

  return {
    /** @param {import("./router.js").Route} r */
    update(r) {
      machine = r.params.get("machine") ?? "";
      range = routeRange(r);
      load();
      return true;
    },
    unmount() {
      controller.abort();
      clearTimeout(reloadTimer);
      clearInterval(refresh);
      ro.disconnect();
      offMessage();
      offFleet();
      page.remove();
    },
  };
}
