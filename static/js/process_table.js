// @ts-check
/// <reference lib="dom" />
/**
 * What ran on a machine at a time (docs/processes.md, GET /api/machines/:id/processes): the top
 * processes by CPU, memory or disk, and the watched names, running or not. The time is the
 * hovered time on the machine's charts, else the end of the range (the newest scan in Live,
 * refreshed every 5 s). Names and command lines come from workers: rendered as text.
 */
import { fmtBps, fmtBytes, fmtPct, fmtTime } from "../gen/catalogue.js";
import { getJson, query } from "./api.js";
import { html, useEffect, useState, useUnmountSignal } from "./ui.js";

/** The server's sort keys and the column each sorts. */
const SORTS = /** @type {const} */ ([["cpu", "CPU"], ["rss", "Memory"], ["read", "Read"], [
  "write",
  "Write",
]]);
const LIVE_REFRESH_MS = 5000;
/** How long a hovered time must hold before it is fetched (the cursor sweeps across charts). */
const HOVER_SETTLE_MS = 250;

/**
 * @param {{ w: any }} props a watched name
 */
function WatchedRow({ w }) {
  const running = w.count > 0;
  return html`
    <tr class=${running ? "" : "not-running"}>
      <td class="proc-name">${String(w.name)}</td>
      <td>${running ? `${w.count} running` : "not running"}</td>
      <td class="num">${running ? fmtPct(w.cpu) : "–"}</td>
      <td class="num">${running ? fmtBytes(w.rss) : "–"}</td>
    </tr>
  `;
}

/**
 * @param {{ id: string, at: number | null, live: boolean }} props `at` null: the newest scan
 */
export function ProcessTable({ id, at, live }) {
  const signal = useUnmountSignal();
  const [sort, setSort] = useState("cpu");
  const [answer, setAnswer] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!live || at !== null) return;
    const timer = setInterval(() => setTick((n) => n + 1), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, at]);

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      const q = query({ sort, limit: 15, ...(at === null ? {} : { at: Math.round(at) }) });
      getJson(`/api/machines/${encodeURIComponent(id)}/processes?${q}`, signal).then(
        (r) => {
          if (stale) return;
          setAnswer(r);
          setError("");
        },
        (/** @type {any} */ e) => {
          if (stale || signal.aborted) return;
          setAnswer(null);
          setError(e.status === 404 ? "No process scan at this time." : e.message);
        },
      );
    }, at === null ? 0 : HOVER_SETTLE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [id, at, sort, tick]);

  const processes = /** @type {any[]} */ (answer?.processes ?? []);
  const watched = /** @type {any[]} */ (answer?.watched ?? []);
  const when = answer
    ? `${answer.tier === "raw" ? "scan at" : `${answer.tier} average at`} ${fmtTime(answer.t)}`
    : "";
  return html`<section class="card processes" aria-label="Processes">
    <h2 class="card-title">Processes <span class="muted small proc-when">${when}</span></h2>
    <p class="muted small">${
    at === null
      ? "The newest scan. Hover over a chart to see what ran at that time."
      : "At the time under the pointer on the charts."
  }</p>
    ${error && html`<p class="muted" role="status">${error}</p>`}
    ${
    answer &&
    html`
      <div class="table-scroll">
        <table class="table proc-table">
          <thead>
            <tr>
              <th scope="col">Process</th><th scope="col" class="num">PID</th>
              ${SORTS.map(([key, label]) =>
                html`<th scope="col" class="num" aria-sort=${sort === key ? "descending" : "none"}>
          <button type="button" class="ft-sort" data-sort=${key}
            onClick=${() => setSort(key)}>${label}${sort === key ? " ▼" : ""}</button></th>`
              )}
              <th scope="col">State</th><th scope="col" class="num">Threads</th>
            </tr>
          </thead>
          <tbody>${processes.map((p) =>
            html`
              <tr key=${`${p.pid}:${p.start}`}>
                <td class="proc-name" title=${p.cmd ? String(p.cmd) : undefined}>${String(
                  p.name,
                )}</td>
                <td class="num">${p.pid}</td>
                <td class="num">${fmtPct(p.cpu)}</td>
                <td class="num">${fmtBytes(p.rss)}</td>
                <td class="num">${fmtBps(p.readBps)}</td>
                <td class="num">${fmtBps(p.writeBps)}</td>
                <td>${String(p.state ?? "")}</td>
                <td class="num">${p.threads ?? "–"}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </div>
          ${watched.length > 0 &&
            html`
              <h3 class="card-subtitle">Watched</h3>
              <div class="table-scroll">
                <table class="table proc-watched">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Instances</th>
                      <th scope="col" class="num">CPU</th>
                      <th scope="col" class="num">Memory</th>
                    </tr>
                  </thead>
                  <tbody>${watched.map((w) => html`<${WatchedRow} key=${w.name} w=${w} />`)}</tbody>
                </table>
              </div>
            `}
    `
  }
  </section>`;
}
