// @ts-check
/// <reference lib="dom" />
/**
 * The fleet table, virtualised: only the rows on screen exist in the DOM (a small pool reused
 * while scrolling), and a live update rewrites only the cells whose text changed.
 */
import { cssVar, h, setText } from "./dom.js";
import { fmtBps, fmtDuration, fmtPct } from "../gen/catalogue.js";
import { machineHash, routeHash } from "./router.js";
import { drawSparkline } from "./sparkline.js";
import { SPARK_WINDOW_MS, statusOf, uptimeNow } from "./state.js";

/** Row height in CSS pixels; must match `.ft-row` in style.css. */
export const ROW_HEIGHT = 44;
const OVERSCAN = 6;
/** Most sparklines drawn in one frame (a fast scroll brings a whole new screenful). */
const SPARKS_PER_FRAME = 24;

/**
 * @typedef {import("./state.js").MachineView} MachineView
 * @typedef {"name" | "status" | "cpu" | "mem" | "disk" | "net" | "os" | "uptime"} SortKey
 */

/** Columns: key, header, CSS class, sortable key. */
const COLUMNS = /** @type {const} */ ([
  ["name", "Machine", "c-name"],
  ["status", "Status", "c-status"],
  ["cpu", "CPU", "c-num c-cpu"],
  ["mem", "Memory", "c-num c-mem"],
  ["disk", "Disk", "c-num c-disk"],
  ["net", "Network", "c-num c-net"],
  ["spark", "CPU, 15 min", "c-spark"],
  ["os", "OS", "c-os"],
  ["uptime", "Uptime", "c-num c-uptime"],
]);

/**
 * @typedef {{
 *   el: HTMLElement, id: string, version: number, index: number,
 *   name: HTMLAnchorElement, alerts: HTMLAnchorElement, host: HTMLElement, status: HTMLElement,
 *   statusWord: HTMLElement,
 *   cpu: HTMLElement, mem: HTMLElement, disk: HTMLElement, net: HTMLElement,
 *   spark: HTMLCanvasElement, os: HTMLElement, uptime: HTMLElement, statusClass: string,
 * }} Row
 */

/**
 * Creates the table inside `container`.
 * @param {HTMLElement} container
 * @param {{
 *   onOpen: (id: string) => void,
 *   onSort: (key: SortKey) => void,
 *   onVisible: (views: MachineView[]) => void,
 * }} opts
 */
export function createFleetTable(container, opts) {
  /** @type {MachineView[]} */
  let views = [];
  /** @type {Row[]} */
  const pool = [];
  /** @type {string | null} */
  let focusedId = null;
  let frame = 0;
  let sortKey = "name";
  let sortDir = 1;
  let colors = readColors();
  let sparkBudget = 0;
  let sparksPending = false;

  const headerCells = COLUMNS.map(([key, label, cls]) => {
    const cell = h("div", { role: "columnheader", class: `ft-cell ${cls}` });
    if (key === "spark") cell.textContent = label;
    else {
      cell.append(
        h("button", {
          type: "button",
          class: "ft-sort",
          "data-key": key,
          text: label,
          onclick: () => opts.onSort(/** @type {SortKey} */ (key)),
        }),
      );
    }
    return cell;
  });
  const head = h(
    "div",
    { class: "ft-head", role: "rowgroup" },
    h("div", { class: "ft-row ft-header", role: "row" }, ...headerCells),
  );
  const body = h("div", { class: "ft-body", role: "rowgroup" });
  const table = h(
    "div",
    { class: "ft", role: "table", "aria-label": "Machines", "aria-rowcount": "0" },
    head,
    body,
  );
  container.append(table);

  function readColors() {
    return {
      line: cssVar("--accent") || "#2563eb",
      fill: cssVar("--accent-fill") || "rgba(37,99,235,.15)",
    };
  }

  /** @returns {Row} */
  function makeRow() {
    const name = h("a", { class: "ft-name", tabindex: "-1" });
    const alerts = h("a", { class: "alert-badge", tabindex: "-1", hidden: true });
    const host = h("span", { class: "ft-host" });
    const statusWord = h("span", { class: "status-word" });
    const status = h(
      "span",
      { class: "status" },
      h("span", { class: "dot", "aria-hidden": "true" }),
      statusWord,
    );
    const cell = (/** @type {string} */ cls, /** @type {Node[]} */ ...kids) =>
      h("div", { role: "cell", class: `ft-cell ${cls}` }, ...kids);
    const cpu = h("span");
    const mem = h("span");
    const disk = h("span");
    const net = h("span");
    const spark = h("canvas", { class: "spark", "aria-hidden": "true" });
    const os = h("span");
    const uptime = h("span");
    const el = h(
      "div",
      { class: "ft-row", role: "row", tabindex: "0" },
      cell("c-name", name, alerts, host),
      cell("c-status", status),
      cell("c-num c-cpu", cpu),
      cell("c-num c-mem", mem),
      cell("c-num c-disk", disk),
      cell("c-num c-net", net),
      cell("c-spark", spark),
      cell("c-os", os),
      cell("c-num c-uptime", uptime),
    );
    /** @type {Row} */
    const row = {
      el,
      id: "",
      version: -1,
      index: -1,
      name,
      alerts,
      host,
      status,
      statusWord,
      cpu,
      mem,
      disk,
      net,
      spark,
      os,
      uptime,
      statusClass: "",
    };
    el.addEventListener("click", (e) => {
      if (/** @type {MouseEvent} */ (e).button !== 0 || e.defaultPrevented) return;
      const target = /** @type {HTMLElement} */ (e.target);
      if (target.closest("a")) return; // the link navigates by itself
      opts.onOpen(row.id);
    });
    el.addEventListener("focus", () => {
      focusedId = row.id;
    });
    el.addEventListener("keydown", (e) => onKey(e, row));
    body.append(el);
    return row;
  }

  /**
   * @param {KeyboardEvent} e
   * @param {Row} row
   */
  function onKey(e, row) {
    let next = row.index;
    const page = Math.max(1, Math.floor(innerHeight / ROW_HEIGHT) - 2);
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      opts.onOpen(row.id);
      return;
    } else if (e.key === "ArrowDown") next++;
    else if (e.key === "ArrowUp") next--;
    else if (e.key === "PageDown") next += page;
    else if (e.key === "PageUp") next -= page;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = views.length - 1;
    else return;
    e.preventDefault();
    focusIndex(Math.max(0, Math.min(views.length - 1, next)));
  }

  /** @param {number} index */
  function focusIndex(index) {
    const view = views[index];
    if (!view) return;
    const top = body.getBoundingClientRect().top + index * ROW_HEIGHT;
    const headH = head.getBoundingClientRect().height +
      (document.querySelector(".topbar")?.getBoundingClientRect().height ?? 0);
    if (top < headH) scrollBy(0, top - headH);
    else if (top + ROW_HEIGHT > innerHeight) scrollBy(0, top + ROW_HEIGHT - innerHeight);
    focusedId = view.id;
    render();
    pool.find((r) => r.id === view.id && !r.el.hidden)?.el.focus({ preventScroll: true });
  }

  /**
   * @param {Row} row
   * @param {MachineView} m
   * @param {number} now
   */
  function fill(row, m, now) {
    if (row.id !== m.id) {
      row.id = m.id;
      row.name.href = machineHash(m.id);
      row.alerts.href = routeHash("/alerts", { machine: m.id });
      row.version = -1;
    }
    setText(row.name, m.name);
    if (row.alerts.hidden !== (m.alerts === 0)) row.alerts.hidden = m.alerts === 0;
    if (m.alerts > 0) {
      const label = `${m.alerts} alert${m.alerts === 1 ? "" : "s"} firing`;
      setText(row.alerts, String(m.alerts));
      if (row.alerts.title !== label) {
        row.alerts.title = label;
        row.alerts.setAttribute("aria-label", label);
      }
    }
    setText(row.host, m.hostname && m.hostname !== m.name ? m.hostname : "");
    const status = statusOf(m);
    if (row.statusClass !== status) {
      row.status.className = `status status-${status}`;
      row.statusClass = status;
    }
    setText(row.statusWord, status);
    setText(row.cpu, m.online ? fmtPct(m.cpu) : "–");
    setText(row.mem, m.online ? fmtPct(m.mem) : "–");
    setText(row.disk, m.online ? fmtBps(m.diskBps) : "–");
    setText(row.net, m.online ? fmtBps(m.netBps) : "–");
    setText(row.os, m.osName);
    setText(row.uptime, fmtDuration(uptimeNow(m, now)));
    row.el.setAttribute("aria-rowindex", String(row.index + 2));
    if (row.version !== m.version) {
      if (sparkBudget <= 0) {
        sparksPending = true; // drawn in the next frame: no frame draws more than a screenful
        return;
      }
      sparkBudget--;
      row.version = m.version;
      drawSparkline(row.spark, m.sparkT, m.sparkV, now, SPARK_WINDOW_MS, colors);
    }
  }

  function render() {
    cancelAnimationFrame(frame);
    frame = 0;
    sparkBudget = SPARKS_PER_FRAME;
    sparksPending = false;
    const top = body.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(views.length, Math.ceil((innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
    const count = Math.max(0, last - first);
    while (pool.length < count) pool.push(makeRow());
    const active = document.activeElement;
    const hadFocus = pool.some((r) => r.el === active);
    // Keep a row on the machine it shows when it is still visible: fewer DOM writes, and
    // focus stays where it was.
    /** @type {Map<string, Row>} */
    const byId = new Map();
    for (const r of pool) if (r.id) byId.set(r.id, r);
    /** @type {Set<Row>} */
    const used = new Set();
    /** @type {number[]} */
    const needRow = [];
    for (let i = first; i < last; i++) {
      const r = byId.get(views[i].id);
      if (r && !used.has(r)) {
        used.add(r);
        r.index = i;
      } else needRow.push(i);
    }
    const free = pool.filter((r) => !used.has(r));
    const now = Date.now();
    for (const i of needRow) {
      const r = /** @type {Row} */ (free.pop());
      used.add(r);
      r.index = i;
    }
    for (const r of pool) {
      if (!used.has(r)) {
        if (!r.el.hidden) r.el.hidden = true;
        r.id = "";
        r.index = -1;
        continue;
      }
      if (r.el.hidden) r.el.hidden = false;
      fill(r, views[r.index], now);
      r.el.style.transform = `translateY(${r.index * ROW_HEIGHT}px)`;
    }
    if (hadFocus && focusedId) {
      const r = pool.find((p) => p.id === focusedId);
      if (r && document.activeElement !== r.el) r.el.focus({ preventScroll: true });
    }
    opts.onVisible(views.slice(first, last));
    if (sparksPending) schedule();
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  const onScroll = () => schedule();
  addEventListener("scroll", onScroll, { passive: true });
  addEventListener("resize", onScroll, { passive: true });
  const scheme = matchMedia("(prefers-color-scheme: dark)");
  const onScheme = () => {
    colors = readColors();
    for (const r of pool) r.version = -1;
    schedule();
  };
  scheme.addEventListener("change", onScheme);

  return {
    /**
     * Sets the rows to show, in order.
     * @param {MachineView[]} list
     */
    setRows(list) {
      views = list;
      body.style.height = `${list.length * ROW_HEIGHT}px`;
      table.setAttribute("aria-rowcount", String(list.length + 1));
      schedule();
    },
    /** Redraws visible rows whose data changed. */
    refresh: schedule,
    /** Redraws now (benchmarks and tests). */
    renderNow: render,
    /**
     * Shows the sort state in the header.
     * @param {string} key
     * @param {number} dir 1 ascending, -1 descending
     */
    setSort(key, dir) {
      sortKey = key;
      sortDir = dir;
      for (const cell of headerCells) {
        const b = cell.querySelector("button");
        if (!b) continue;
        const on = b.dataset.key === sortKey;
        if (on) cell.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
        else cell.removeAttribute("aria-sort");
      }
    },
    destroy() {
      cancelAnimationFrame(frame);
      removeEventListener("scroll", onScroll);
      removeEventListener("resize", onScroll);
      scheme.removeEventListener("change", onScheme);
      table.remove();
    },
  };
}
