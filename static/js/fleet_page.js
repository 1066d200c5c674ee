// @ts-check
/// <reference lib="dom" />
/** The fleet page: counts, aggregate charts, and every machine in a searchable, sortable table. */
import { getJson, query } from "./api.js";
import { h, replaceChildren, setText, stateBox } from "./dom.js";
import { mountFleetCharts } from "./fleet_charts.js";
import { createFleetTable } from "./fleet_table.js";
import { machineHash, navigate, routeHash } from "./router.js";
import { SPARK_WINDOW_MS, statusOf, uptimeNow } from "./state.js";

/**
 * @typedef {import("./state.js").MachineView} MachineView
 * @typedef {import("./fleet_table.js").SortKey} SortKey
 */

const SORT_KEYS = ["name", "status", "cpu", "mem", "disk", "net", "os", "uptime"];
const STATUS_ORDER = { anomalous: 0, online: 1, offline: 2 };
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const SPARK_CONCURRENCY = 6;

/**
 * @param {SortKey} key
 * @param {number} now
 * @returns {(m: MachineView) => number | string | null}
 */
function sortValue(key, now) {
  switch (key) {
    case "status":
      return (m) => STATUS_ORDER[statusOf(m)];
    case "cpu":
      return (m) => (m.online ? m.cpu : null);
    case "mem":
      return (m) => (m.online ? m.mem : null);
    case "disk":
      return (m) => (m.online ? m.diskBps : null);
    case "net":
      return (m) => (m.online ? m.netBps : null);
    case "os":
      return (m) => m.osName;
    case "uptime":
      return (m) => uptimeNow(m, now);
    default:
      return (m) => m.name;
  }
}

/**
 * Mounts the fleet page.
 * @param {HTMLElement} root
 * @param {import("./router.js").Route} route
 * @param {import("../app.js").AppContext} ctx
 */
export function mountFleetPage(root, route, ctx) {
  const { fleet } = ctx;
  let search = route.params.get("q") ?? "";
  let statusFilter = route.params.get("status") ?? "";
  let sortKey =
    /** @type {SortKey} */ (SORT_KEYS.includes(route.params.get("sort") ?? "")
      ? route.params.get("sort")
      : "name");
  let sortDir = route.params.get("dir") === "desc" ? -1 : 1;
  let chartRange = route.params.get("range") ?? "1h";

  document.title = "Fleet · gridmon";
  const counts = h("p", { class: "counts", role: "status", "aria-live": "polite" });
  const searchInput = h("input", {
    type: "search",
    class: "input",
    placeholder: "Search name, host or OS",
    "aria-label": "Search machines",
    value: search,
  });
  const statusSelect = h(
    "select",
    { class: "input", "aria-label": "Filter by status" },
    h("option", { value: "", text: "All statuses" }),
    h("option", { value: "online", text: "Online" }),
    h("option", { value: "anomalous", text: "Anomalous" }),
    h("option", { value: "offline", text: "Offline" }),
    h("option", { value: "alerts", text: "With alerts firing" }),
  );
  statusSelect.value = statusFilter;
  const message = h("div", { class: "fleet-message" });
  const tableHost = h("div", { class: "table-host" });
  const chartsHost = h("div", { class: "fleet-charts-host" });
  const section = h(
    "div",
    { class: "page page-fleet" },
    h("div", { class: "page-head" }, h("h1", { text: "Fleet" }), counts),
    chartsHost,
    h(
      "section",
      { class: "machines", "aria-label": "Machines" },
      h(
        "div",
        { class: "toolbar" },
        h("h2", { class: "section-title", text: "Machines" }),
        searchInput,
        statusSelect,
      ),
      message,
      tableHost,
    ),
  );
  root.append(section);

  const charts = mountFleetCharts(chartsHost, {
    range: chartRange,
    onRange: (r) => {
      chartRange = r;
      syncUrl();
    },
  });

  /** @type {Set<string>} */
  const sparkInFlight = new Set();
  /** @type {MachineView[]} */
  let sparkQueue = [];
  const controller = new AbortController();

  const table = createFleetTable(tableHost, {
    onOpen: (id) => navigate(machineHash(id)),
    onSort: (key) => {
      if (sortKey === key) sortDir = -sortDir;
      else {
        sortKey = key;
        sortDir = key === "name" || key === "os" || key === "status" ? 1 : -1;
      }
      syncUrl();
      update(true);
    },
    onVisible: (views) => {
      sparkQueue = views.filter((m) => !m.sparkLoaded && !sparkInFlight.has(m.id));
      pumpSparks();
    },
  });

  /** Fetches the last 15 minutes of CPU for rows that came into view. */
  function pumpSparks() {
    while (sparkInFlight.size < SPARK_CONCURRENCY && sparkQueue.length) {
      const m = /** @type {MachineView} */ (sparkQueue.shift());
      if (m.sparkLoaded || sparkInFlight.has(m.id)) continue;
      sparkInFlight.add(m.id);
      const to = Date.now();
      const q = query({ from: to - SPARK_WINDOW_MS, to, points: 180, metrics: "cpu.usage" });
      getJson(`/api/machines/${encodeURIComponent(m.id)}/series?${q}`, controller.signal)
        .then((r) => {
          const t = /** @type {number[]} */ (r.t ?? []);
          const v = /** @type {(number | null)[]} */ (r.avg?.["cpu.usage"] ?? []);
          // Keep live points newer than the fetched history.
          const lastFetched = t.length ? t[t.length - 1] + (r.stepMs ?? 0) : -Infinity;
          const keep = m.sparkT.findIndex((x) => x > lastFetched);
          const liveT = keep < 0 ? [] : m.sparkT.slice(keep);
          const liveV = keep < 0 ? [] : m.sparkV.slice(keep);
          m.sparkT = [...t, ...liveT];
          m.sparkV = [...v, ...liveV];
          m.sparkLoaded = true;
          m.version++;
          table.refresh();
        })
        .catch(() => {/* the row keeps its live points; retried when it scrolls into view again */})
        .finally(() => {
          sparkInFlight.delete(m.id);
          pumpSparks();
        });
    }
  }

  function syncUrl() {
    navigate(
      routeHash("/", {
        q: search,
        status: statusFilter,
        sort: sortKey === "name" ? "" : sortKey,
        dir: sortDir < 0 ? "desc" : "",
        range: chartRange === "1h" ? "" : chartRange,
      }),
      { replace: true },
    );
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      search = searchInput.value;
      syncUrl();
      update(true);
    }, 80);
  });
  statusSelect.addEventListener("change", () => {
    statusFilter = statusSelect.value;
    syncUrl();
    update(true);
  });

  /** @type {any} */
  let joinInfo = null;
  let joinRequested = false;
  function showEmpty() {
    if (!joinRequested) {
      joinRequested = true;
      getJson("/api/join", controller.signal)
        .then((r) => (joinInfo = r))
        .catch((e) => (joinInfo = { error: /** @type {Error} */ (e).message }))
        .finally(() => update(true));
    }
    const command = joinInfo?.command;
    replaceChildren(
      message,
      stateBox(
        "empty",
        "No machines yet.",
        h("p", {
          text: "Run this on each machine you want to watch; it appears here within seconds:",
        }),
        command
          ? h(
            "div",
            { class: "command" },
            h("code", { class: "command-text", text: command }),
            h("button", {
              type: "button",
              class: "btn",
              text: "Copy",
              onclick: (/** @type {Event} */ e) => {
                const b = /** @type {HTMLButtonElement} */ (e.currentTarget);
                navigator.clipboard?.writeText(command).then(
                  () => (b.textContent = "Copied"),
                  () => (b.textContent = "Select and copy"),
                );
              },
            }),
          )
          : h("p", {
            class: "command",
            text: joinInfo
              ? `gridmon worker --master ${location.hostname} --token <join token> (the master printed the exact command when it started)`
              : "Loading the worker command…",
          }),
      ),
    );
  }

  /** @type {MachineView[]} */
  let rows = [];
  let lastStructure = -1;
  /** @param {boolean} [force] */
  function update(force = false) {
    const now = Date.now();
    const all = [...fleet.machines.values()];
    let online = 0;
    let offline = 0;
    let anomalous = 0;
    for (const m of all) {
      const s = statusOf(m);
      if (s === "online") online++;
      else if (s === "offline") offline++;
      else anomalous++;
    }
    setText(
      counts,
      ctx.loaded()
        ? `${all.length} machine${
          all.length === 1 ? "" : "s"
        } · ${online} online · ${anomalous} anomalous · ${offline} offline`
        : "Loading…",
    );
    table.setSort(sortKey, sortDir);
    const live = ["cpu", "mem", "disk", "net", "uptime", "status"].includes(sortKey);
    if (force || live || lastStructure !== fleet.structureVersion) {
      lastStructure = fleet.structureVersion;
      const needle = search.trim().toLowerCase();
      const filtered = all.filter((m) =>
        (!statusFilter ||
          (statusFilter === "alerts" ? m.alerts > 0 : statusOf(m) === statusFilter)) &&
        (!needle || m.name.toLowerCase().includes(needle) ||
          m.hostname.toLowerCase().includes(needle) ||
          m.osName.toLowerCase().includes(needle) || m.id.toLowerCase().startsWith(needle))
      );
      const value = sortValue(sortKey, now);
      const keyed = filtered.map((m) => ({ m, v: value(m) }));
      keyed.sort((a, b) => {
        if (a.v === b.v) return collator.compare(a.m.name, b.m.name);
        if (a.v === null || a.v === undefined) return 1;
        if (b.v === null || b.v === undefined) return -1;
        const c = typeof a.v === "string" || typeof b.v === "string"
          ? collator.compare(String(a.v), String(b.v))
          : /** @type {number} */ (a.v) - /** @type {number} */ (b.v);
        return c * sortDir || collator.compare(a.m.name, b.m.name);
      });
      rows = keyed.map((k) => k.m);
      table.setRows(rows);
    } else table.refresh();

    chartsHost.hidden = ctx.loaded() && all.length === 0;
    if (!ctx.loaded()) replaceChildren(message, stateBox("loading", "Loading machines…"));
    else if (all.length === 0) showEmpty();
    else if (rows.length === 0) {
      replaceChildren(
        message,
        stateBox(
          "empty",
          "No machine matches this search.",
          h("button", {
            type: "button",
            class: "btn",
            text: "Clear search and filter",
            onclick: () => {
              search = "";
              statusFilter = "";
              searchInput.value = "";
              statusSelect.value = "";
              syncUrl();
              update(true);
            },
          }),
        ),
      );
    } else if (message.firstChild) message.replaceChildren();
  }

  const unsubscribe = fleet.subscribe(() => update());
  ctx.subscribe([]);
  update(true);
  // Uptime keeps counting between ticks.
  const clock = setInterval(() => table.refresh(), 1000);

  return {
    /** @param {import("./router.js").Route} r */
    update(r) {
      const q = r.params.get("q") ?? "";
      const st = r.params.get("status") ?? "";
      if (q !== search || st !== statusFilter) {
        search = q;
        statusFilter = st;
        searchInput.value = q;
        statusSelect.value = st;
        update(true);
      }
      return true;
    },
    unmount() {
      controller.abort();
      clearInterval(clock);
      clearTimeout(searchTimer);
      unsubscribe();
      charts.destroy();
      table.destroy();
      section.remove();
    },
  };
}
