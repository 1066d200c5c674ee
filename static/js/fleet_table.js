// @ts-check
/// <reference lib="dom" />
/**
 * The fleet table, virtualised: only the rows on screen (and a few more) exist in the DOM. Each
 * row is keyed by machine and placed with a transform, and the rows stay in one DOM order
 * (by id) however the table is sorted, so a live re-sort moves no element and focus stays on its
 * machine.
 */
import { fmtBps, fmtDuration, fmtPct } from "../gen/catalogue.js";
import { machineHash, routeHash } from "./router.js";
import { drawSparkline } from "./sparkline.js";
import { CLASH_SHOWN_MS, SPARK_WINDOW_MS, STATUS_WORDS, statusOf, uptimeNow } from "./state.js";
import { cssVar, html, useEffect, useLayoutEffect, useRef, useRerender, useState } from "./ui.js";

/** Row height in CSS pixels; must match `.ft-row` in style.css. */
export const ROW_HEIGHT = 44;
const OVERSCAN = 6;

/**
 * @typedef {import("./state.js").MachineView} MachineView
 * @typedef {"name" | "status" | "cpu" | "mem" | "disk" | "net" | "os" | "uptime"} SortKey
 * @typedef {{ line: string, fill: string }} SparkColors
 */

/** Columns: key, header, CSS class. */
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

function readColors() {
  return {
    line: cssVar("--accent") || "#2563eb",
    fill: cssVar("--accent-fill") || "rgba(37,99,235,.15)",
  };
}

/**
 * The sparkline of a row, redrawn when the machine's data version or the colours change.
 * @param {{ m: MachineView, version: number, colors: SparkColors }} props
 */
function Spark({ m, version, colors }) {
  const ref = useRef(/** @type {HTMLCanvasElement | null} */ (null));
  useLayoutEffect(() => {
    if (ref.current) {
      drawSparkline(ref.current, m.sparkT, m.sparkV, Date.now(), SPARK_WINDOW_MS, colors);
    }
  }, [m, version, colors]);
  return html`<canvas class="spark" aria-hidden="true" ref=${ref}></canvas>`;
}

/**
 * One machine's row.
 * @param {{ m: MachineView, index: number, now: number, colors: SparkColors,
 *   onOpen: (id: string) => void, onKey: (e: KeyboardEvent, index: number) => void }} props
 */
function FleetRow({ m, index, now, colors, onOpen, onKey }) {
  const status = statusOf(m);
  // Watched process names (--watch-process) at the newest scan, while the machine is up.
  const watched = m.online && Array.isArray(m.info?.watched)
    ? /** @type {{ name: string, count: number }[]} */ (m.info.watched)
    : [];
  // Another host was refused with this machine's id lately (the machine page says what to do).
  const clashed = !!m.info?.clash && now - m.info.clash.lastAt < CLASH_SHOWN_MS;
  const label = `${m.alerts} alert${m.alerts === 1 ? "" : "s"} firing`;
  const open = (/** @type {MouseEvent} */ e) => {
    if (e.button !== 0 || e.defaultPrevented) return;
    if (/** @type {HTMLElement} */ (e.target).closest("a")) return; // links navigate themselves
    onOpen(m.id);
  };
  const cell = (/** @type {string} */ cls, /** @type {any} */ kids) =>
    html`<div role="cell" class=${`ft-cell ${cls}`}>${kids}</div>`;
  return html`
    <div class="ft-row" role="row" tabindex="0" data-id=${m.id}
      aria-rowindex=${String(index + 2)} style=${{
        transform: `translateY(${index * ROW_HEIGHT}px)`,
      }}
      onClick=${open} onKeyDown=${(/** @type {KeyboardEvent} */ e) => onKey(e, index)}>
        ${cell(
          "c-name",
          html`
            <a class="ft-name" tabindex="-1" href=${machineHash(m.id)}>${m.name}</a><a
              class="alert-badge" tabindex="-1" href=${routeHash("/alerts", { machine: m.id })}
              hidden=${m.alerts === 0} title=${m.alerts > 0 ? label : undefined}
              aria-label=${m.alerts > 0 ? label : undefined}>${m.alerts > 0
                ? String(m.alerts)
                : ""}</a><span
              class="ft-host">${m.hostname && m.hostname !== m.name
                ? m.hostname
                : ""}</span>${watched.map((w) =>
                  html`
                    <span class=${`watch ${w.count > 0 ? "watch-up" : "watch-down"}`}
                      title=${`${w.name}: ${w.count > 0 ? `${w.count} running` : "not running"}`}
                    >${String(w.name)}${w.count > 0 ? "" : " not running"}</span>
                  `
                )}${clashed &&
                html`
                  <a class="clash-badge" tabindex="-1" href=${machineHash(m.id)}
                    title=${`${m.info.clash.hostname} tried to report with this machine's id and was refused (a cloned VM or container): open the machine to see what to do`}>id clash</a>
                `}
          `,
        )}
        ${cell(
          "c-status",
          html`<span class=${`status status-${status}`}><span class="dot" aria-hidden="true"></span><span
        class="status-word">${STATUS_WORDS[status]}</span></span>`,
        )}
        ${cell("c-num c-cpu", html`<span>${m.online ? fmtPct(m.cpu) : "–"}</span>`)}
        ${cell("c-num c-mem", html`<span>${m.online ? fmtPct(m.mem) : "–"}</span>`)}
        ${cell("c-num c-disk", html`<span>${m.online ? fmtBps(m.diskBps) : "–"}</span>`)}
        ${cell("c-num c-net", html`<span>${m.online ? fmtBps(m.netBps) : "–"}</span>`)}
        ${cell("c-spark", html`<${Spark} m=${m} version=${m.version} colors=${colors} />`)}
        ${cell("c-os", html`<span>${m.osName}</span>`)}
        ${cell("c-num c-uptime", html`<span>${fmtDuration(uptimeNow(m, now))}</span>`)}
      </div>
  `;
}

/**
 * Which rows are on screen: [first, last) of `count`, from where the body is on the page.
 * @param {HTMLElement | null} body
 * @param {number} count
 */
function visibleRange(body, count) {
  const top = body ? body.getBoundingClientRect().top : 0;
  const first = Math.max(0, Math.floor(-top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
  return [first, Math.max(first, last)];
}

/**
 * @param {{
 *   rows: MachineView[], sortKey: SortKey, sortDir: number, now: number,
 *   onOpen: (id: string) => void, onSort: (key: SortKey) => void,
 *   onVisible: (views: MachineView[]) => void,
 * }} props
 */
export function FleetTable({ rows, sortKey, sortDir, now, onOpen, onSort, onVisible }) {
  const bodyRef = useRef(/** @type {HTMLDivElement | null} */ (null));
  const headRef = useRef(/** @type {HTMLDivElement | null} */ (null));
  const rerender = useRerender();
  const [colors, setColors] = useState(readColors);
  /** The machine to focus after the next render (keyboard navigation). */
  const focusNext = useRef(/** @type {string | null} */ (null));

  // Scrolling and resizing move the window of rows, at most once a frame.
  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          rerender();
        });
      }
    };
    addEventListener("scroll", schedule, { passive: true });
    addEventListener("resize", schedule, { passive: true });
    const scheme = matchMedia("(prefers-color-scheme: dark)");
    const onScheme = () => setColors(readColors());
    scheme.addEventListener("change", onScheme);
    return () => {
      cancelAnimationFrame(frame);
      removeEventListener("scroll", schedule);
      removeEventListener("resize", schedule);
      scheme.removeEventListener("change", onScheme);
    };
  }, []);

  const [first, last] = visibleRange(bodyRef.current, rows.length);
  const visible = rows.slice(first, last);
  // One DOM order, by id: sorting changes only the transforms.
  const placed = visible.map((m, i) => ({ m, index: first + i }))
    .sort((a, b) => (a.m.id < b.m.id ? -1 : a.m.id > b.m.id ? 1 : 0));

  useEffect(() => onVisible(visible));

  // The first render had no body to measure: measure again once it is on the page.
  useLayoutEffect(() => {
    if (rows.length && visibleRange(bodyRef.current, rows.length)[1] !== last) rerender();
  });

  useLayoutEffect(() => {
    const id = focusNext.current;
    if (!id) return;
    focusNext.current = null;
    const el = bodyRef.current?.querySelector(`[data-id="${CSS.escape(id)}"]`);
    /** @type {HTMLElement | null | undefined} */ (el)?.focus({ preventScroll: true });
  });

  /**
   * @param {KeyboardEvent} e
   * @param {number} index
   */
  function onKey(e, index) {
    const page = Math.max(1, Math.floor(innerHeight / ROW_HEIGHT) - 2);
    let next = index;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onOpen(rows[index].id);
      return;
    } else if (e.key === "ArrowDown") next++;
    else if (e.key === "ArrowUp") next--;
    else if (e.key === "PageDown") next += page;
    else if (e.key === "PageUp") next -= page;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = rows.length - 1;
    else return;
    e.preventDefault();
    focusIndex(Math.max(0, Math.min(rows.length - 1, next)));
  }

  /** Scrolls row `index` into view and focuses it. */
  function focusIndex(/** @type {number} */ index) {
    const view = rows[index];
    const body = bodyRef.current;
    if (!view || !body) return;
    const top = body.getBoundingClientRect().top + index * ROW_HEIGHT;
    const headH = (headRef.current?.getBoundingClientRect().height ?? 0) +
      (document.querySelector(".topbar")?.getBoundingClientRect().height ?? 0);
    if (top < headH) scrollBy(0, top - headH);
    else if (top + ROW_HEIGHT > innerHeight) scrollBy(0, top + ROW_HEIGHT - innerHeight);
    focusNext.current = view.id;
    rerender();
  }

  return html`
    <div class="ft" role="table" aria-label="Machines" aria-rowcount=${String(rows.length + 1)}>
      <div class="ft-head" role="rowgroup" ref=${headRef}>
        <div class="ft-row ft-header" role="row">${COLUMNS.map(([key, label, cls]) =>
          html`<div role="columnheader" class=${`ft-cell ${cls}`} aria-sort=${
            key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : undefined
          }>${
            key === "spark" ? label : html`
              <button type="button" class="ft-sort" data-key=${key}
                onClick=${() => onSort(/** @type {SortKey} */ (key))}>${label}</button>
            `
          }</div>`
        )}</div>
      </div>
      <div class="ft-body" role="rowgroup" ref=${bodyRef} style=${{
        height: `${rows.length * ROW_HEIGHT}px`,
      }}>${placed.map(({ m, index }) =>
        html`
          <${FleetRow} key=${m.id} m=${m} index=${index} now=${now} colors=${colors}
            onOpen=${onOpen} onKey=${onKey} />
        `
      )}</div>
    </div>
  `;
}
