// @ts-check
/// <reference lib="dom" />
/**
 * gridmon's dashboard: loads the fleet, keeps the live feed open, and shows the page the URL
 * names (fleet, machine, anomalies, alerts).
 */
import { backoffMs, getJson } from "./js/api.js";
import { h, setText, stateBox } from "./js/dom.js";
import { openLive } from "./js/live.js";
import { parseRoute } from "./js/router.js";
import { createFleet } from "./js/state.js";
import { mountFleetPage } from "./js/fleet_page.js";

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
const navAlerts = /** @type {HTMLElement} */ (document.getElementById("nav-alerts"));

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

/** The count of firing alerts beside the Alerts link (the sum of every machine's badge). */
function showAlertCount() {
  let n = 0;
  for (const m of fleet.machines.values()) n += m.alerts;
  if (navAlerts.hidden !== (n === 0)) navAlerts.hidden = n === 0;
  setText(navAlerts, String(n));
  const title = `${n} alert${n === 1 ? "" : "s"} firing`;
  if (navAlerts.title !== title) navAlerts.title = title;
}
fleet.subscribe(showAlertCount);

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
    fleet.setReachable(true);
    showBanner(null);
    fleet.load(Array.isArray(list) ? list : []);
  } catch (error) {
    const err = /** @type {any} */ (error);
    if (err.kind === "auth") return;
    if (err.kind === "network") fleet.setReachable(false);
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
let liveConnectedBefore = false;
const live = openLive({
  onMessage(msg) {
    if (msg.type === "tick") {
      if (fleetLoaded && fleet.applyTick(msg).length) queueRefresh();
    } else if (msg.type === "machine" && msg.machine) {
      if (fleetLoaded) fleet.updateMachine(msg.machine);
    } else if (msg.type === "removed" && typeof msg.machineId === "string") {
      fleet.remove(msg.machineId);
    } else if (msg.type === "hello") {
      logout.hidden = !!msg.publicUi;
    }
    for (const fn of messageListeners) fn(msg);
  },
  onOpen() {
    // Catch up on whatever happened while the feed was down (not on the first connect).
    if (liveConnectedBefore) loadMachines();
    liveConnectedBefore = true;
  },
  onStatus(s) {
    clearInterval(retryTicker);
    conn.dataset.state = s.state;
    // The feed dropped after it was up: the master is gone (or the network to it), and the
    // machines' last known states say nothing about now.
    if (s.state === "retrying" && liveConnectedBefore) fleet.setReachable(false);
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

/**
 * Pages other than the fleet load on first use, so the first paint fetches less.
 * @type {Record<string, () => Promise<(root: HTMLElement, route: Route, ctx: AppContext) => Page>>}
 */
const LAZY_PAGES = {
  machine: () => import("./js/machine_page.js").then((m) => m.mountMachinePage),
  anomalies: () => import("./js/anomalies_page.js").then((m) => m.mountAnomaliesPage),
  alerts: () => import("./js/alerts_page.js").then((m) => m.mountAlertsPage),
};
let routeSeq = 0;

async function route() {
  const seq = ++routeSeq;
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
  // A new page starts at its top (the fleet table measures what is on screen as it mounts).
  scrollTo(0, 0);
  pageKind = r.page;
  pageId = r.id;
  page = null;
  try {
    const mount = r.page === "fleet" ? mountFleetPage : await LAZY_PAGES[r.page]();
    if (seq !== routeSeq) return; // the user moved on while the module loaded
    page = mount(main, r, ctx);
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
