// @ts-check
/// <reference lib="dom" />
/**
 * gridmon's dashboard: loads the fleet, keeps the live feed open, and shows the page the URL
 * names (fleet, machine, anomalies).
 */
import { backoffMs, getJson } from "./js/api.js";
import { h, setText, stateBox } from "./js/dom.js";
import { openLive } from "./js/live.js";
import { parseRoute } from "./js/router.js";
import { createFleet } from "./js/state.js";
import { mountFleetPage } from "./js/fleet_page.js";
import { mountMachinePage } from "./js/machine_page.js";
import { mountAnomaliesPage } from "./js/anomalies_page.js";

/**
 * @typedef {import("./js/router.js").Route} Route
 * @typedef {{ update?: (route: Route) => boolean, unmount: () => void }} Page
 * @typedef {{
 *   fleet: import("./js/state.js").Fleet,
 *   loaded: () => boolean,
 *   subscribe: (ids: string[]) => void,
 *   onMessage: (fn: (msg: any) => void) => () => void,
 * }} AppContext
 */

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const conn = /** @type {HTMLElement} */ (document.getElementById("conn"));
const banner = /** @type {HTMLElement} */ (document.getElementById("banner"));
const logout = /** @type {HTMLButtonElement} */ (document.getElementById("logout"));

const fleet = createFleet();
let fleetLoaded = false;
/** @type {Set<(msg: any) => void>} */
const messageListeners = new Set();

/** @type {AppContext} */
const ctx = {
  fleet,
  loaded: () => fleetLoaded,
  subscribe: (ids) => live.subscribe(ids),
  onMessage(fn) {
    messageListeners.add(fn);
    return () => messageListeners.delete(fn);
  },
};

/** @param {string | null} text */
function showBanner(text) {
  banner.hidden = text === null;
  setText(banner, text ?? "");
}

let loadAttempt = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let loadTimer;
let refreshQueued = false;

/** Loads /api/machines, retrying with backoff while the master is unreachable. */
async function loadMachines() {
  clearTimeout(loadTimer);
  try {
    const list = await getJson("/api/machines");
    loadAttempt = 0;
    fleetLoaded = true;
    showBanner(null);
    fleet.load(Array.isArray(list) ? list : []);
  } catch (error) {
    const err = /** @type {any} */ (error);
    if (err.kind === "auth") return;
    const delay = backoffMs(loadAttempt++);
    showBanner(
      `${
        err.kind === "network" ? "The master is unreachable" : `The master answered: ${err.message}`
      }. ` +
        `Retrying in ${Math.round(delay / 1000)} s…`,
    );
    loadTimer = setTimeout(loadMachines, delay);
  }
}

/** Reloads the machine list soon (a tick named a machine we have not seen). */
function queueRefresh() {
  if (refreshQueued) return;
  refreshQueued = true;
  setTimeout(() => {
    refreshQueued = false;
    loadMachines();
  }, 500);
}

/** @type {ReturnType<typeof setInterval> | undefined} */
let retryTicker;
const live = openLive({
  onMessage(msg) {
    if (msg.type === "tick") {
      if (fleetLoaded && fleet.applyTick(msg).length) queueRefresh();
    } else if (msg.type === "machine" && msg.machine) {
      if (fleetLoaded) fleet.updateMachine(msg.machine);
    } else if (msg.type === "hello") {
      logout.hidden = !!msg.publicUi;
    }
    for (const fn of messageListeners) fn(msg);
  },
  onOpen() {
    // Catch up on whatever happened while the feed was down.
    if (fleetLoaded) loadMachines();
  },
  onStatus(s) {
    clearInterval(retryTicker);
    conn.dataset.state = s.state;
    if (s.state === "live") setText(conn, "Live");
    else if (s.state === "connecting") setText(conn, "Connecting…");
    else {
      const show = () =>
        setText(
          conn,
          `Offline · retry in ${Math.max(0, Math.ceil(((s.retryAt ?? 0) - Date.now()) / 1000))} s`,
        );
      show();
      retryTicker = setInterval(show, 1000);
    }
  },
  onUnauthorized() {
    location.assign("/login");
  },
});

/** @type {Page | null} */
let page = null;
/** @type {string} */
let pageKind = "";
/** @type {string | undefined} */
let pageId;

function route() {
  const r = parseRoute(location.hash);
  for (const a of document.querySelectorAll("[data-nav]")) {
    const here = a.getAttribute("data-nav") === r.page ||
      (r.page === "machine" && a.getAttribute("data-nav") === "fleet");
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (page && pageKind === r.page && pageId === r.id && page.update?.(r)) return;
  page?.unmount();
  main.replaceChildren();
  pageKind = r.page;
  pageId = r.id;
  try {
    if (r.page === "machine") page = mountMachinePage(main, r, ctx);
    else if (r.page === "anomalies") page = mountAnomaliesPage(main, r, ctx);
    else page = mountFleetPage(main, r, ctx);
  } catch (error) {
    page = null;
    main.replaceChildren(
      stateBox("error", "This page failed to draw.", h("p", { text: String(error) })),
    );
    console.error(error);
  }
}

logout.addEventListener("click", async () => {
  try {
    await fetch("/api/logout", { method: "POST", credentials: "same-origin" });
  } finally {
    location.assign("/login");
  }
});

addEventListener("hashchange", route);
route();
loadMachines();
