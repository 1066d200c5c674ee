// @ts-check
/// <reference lib="dom" />
/** The fleet page: counts, aggregate charts, and every machine in a searchable, sortable table. */
import { getJson } from "./api.js";
import { copyText } from "./dom.js";
import { FleetCharts } from "./fleet_charts.js";
import { FleetTable } from "./fleet_table.js";
import { machineHash, navigate, parseRoute, routeHash } from "./router.js";
import { createSparkLoader } from "./spark_loader.js";
import { statusOf, uptimeNow } from "./state.js";
import {
  componentPage,
  html,
  StateBox,
  useEffect,
  useFleet,
  useInterval,
  useLayoutEffect,
  useMemo,
  useRef,
  useRerender,
  useState,
  useTitle,
  useUnmountSignal,
} from "./ui.js";

/**
 * @typedef {import("./state.js").MachineView} MachineView
 * @typedef {import("./fleet_table.js").SortKey} SortKey
 * @typedef {{ search: string, status: string, sortKey: SortKey, sortDir: number }} FleetView
 */

const SORT_KEYS = ["name", "status", "cpu", "mem", "disk", "net", "os", "uptime"];
/** Sorting by these keys re-sorts with every tick. */
const LIVE_KEYS = ["cpu", "mem", "disk", "net", "uptime", "status"];
const STATUS_ORDER = { anomalous: 0, online: 1, offline: 2, expected: 3, unreachable: 4 };
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

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
 * The machines the table shows: filtered by search and status, sorted (unknown values last,
 * ties by name).
 * @param {MachineView[]} all
 * @param {FleetView} view
 * @param {number} now
 */
export function fleetRows(all, view, now) {
  const needle = view.search.trim().toLowerCase();
  const filtered = all.filter((m) =>
    (!view.status || (view.status === "alerts" ? m.alerts > 0 : statusOf(m) === view.status)) &&
    (!needle || m.name.toLowerCase().includes(needle) ||
      m.hostname.toLowerCase().includes(needle) ||
      m.osName.toLowerCase().includes(needle) || m.id.toLowerCase().startsWith(needle))
  );
  const value = sortValue(view.sortKey, now);
  const keyed = filtered.map((m) => ({ m, v: value(m) }));
  keyed.sort((a, b) => {
    if (a.v === b.v) return collator.compare(a.m.name, b.m.name);
    if (a.v === null || a.v === undefined) return 1;
    if (b.v === null || b.v === undefined) return -1;
    const c = typeof a.v === "string" || typeof b.v === "string"
      ? collator.compare(String(a.v), String(b.v))
      : /** @type {number} */ (a.v) - /** @type {number} */ (b.v);
    return c * view.sortDir || collator.compare(a.m.name, b.m.name);
  });
  return keyed.map((k) => k.m);
}

/**
 * "13 machines · 12 online · 1 anomalous · 0 offline".
 * @param {MachineView[]} all
 */
export function fleetCounts(all) {
  const n = { online: 0, offline: 0, anomalous: 0, expected: 0, unreachable: 0 };
  for (const m of all) n[statusOf(m)]++;
  const machines = `${all.length} machine${all.length === 1 ? "" : "s"}`;
  if (n.unreachable) return `${machines} · master unreachable: their state is not known`;
  return `${machines} · ${n.online} online · ${n.anomalous} anomalous · ${n.offline} offline${
    n.expected ? ` · ${n.expected} expected offline` : ""
  }`;
}

/** What to run to add a machine, from /api/join. */
function EmptyFleet() {
  const signal = useUnmountSignal();
  const [join, setJoin] = useState(/** @type {any} */ (null));
  const [copied, setCopied] = useState("Copy");
  useEffect(() => {
    getJson("/api/join", signal).then(setJoin, (e) => setJoin({ error: e.message }));
  }, []);
  const command = join?.command;
  const commandRef = useRef(/** @type {HTMLElement | null} */ (null));
  const copy = async () => {
    if (!commandRef.current) return;
    const done = await copyText(commandRef.current);
    setCopied(done === "copied" ? "Copied" : "Press Ctrl+C");
  };
  return html`<${StateBox} kind="empty" title="No machines yet.">
    <p>Run this on each machine you want to watch; it appears here within seconds:</p>
    ${
    command
      ? html`
        <div
          class="command"><code class="command-text" ref=${commandRef}>${command}</code><button type="button"
                  class="btn" onClick=${copy}>${copied}</button></div>
      `
      : html`<p class="command">${
        join
          ? `gridmon worker --master ${location.hostname} --token <join token> (the master printed the exact command when it started)`
          : "Loading the worker command…"
      }</p>`
  }
  <//>`;
}

/**
 * The view the route asks for.
 * @param {URLSearchParams} params
 * @returns {FleetView & { range: string }}
 */
function viewOf(params) {
  const sort = params.get("sort") ?? "";
  return {
    search: params.get("q") ?? "",
    status: params.get("status") ?? "",
    sortKey: /** @type {SortKey} */ (SORT_KEYS.includes(sort) ? sort : "name"),
    sortDir: params.get("dir") === "desc" ? -1 : 1,
    range: params.get("range") ?? "1h",
  };
}

/**
 * @param {{ route: import("./router.js").Route, ctx: import("../app.js").AppContext }} props
 */
export function FleetPage({ route, ctx }) {
  useTitle("Fleet · gridmon");
  const fleet = useFleet(ctx);
  const [view, setView] = useState(() => viewOf(route.params));
  const [now, setNow] = useState(Date.now());
  const searchRef = useRef(/** @type {HTMLInputElement | null} */ (null));
  const signal = useUnmountSignal();
  const rerender = useRerender();
  const sparks = useMemo(() => createSparkLoader({ signal, onLoaded: rerender }), []);
  // Uptime keeps counting between ticks.
  useInterval(() => setNow(Date.now()), 1000);
  useEffect(() => ctx.subscribe([]), []);

  // Back and forward (or a link) change the search and filter.
  useEffect(() => {
    const next = viewOf(route.params);
    if (next.search !== view.search || next.status !== view.status) {
      setView({ ...view, search: next.search, status: next.status });
      if (searchRef.current) searchRef.current.value = next.search;
    }
  }, [route]);

  // The view goes into the URL, so it can be shared and survives a reload: when it changes,
  // and only while the address still names this page (the effect runs after a paint, by which
  // time a click or a typed address may have moved on).
  const firstView = useRef(true);
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false;
      return;
    }
    if (parseRoute(location.hash).page !== "fleet") return;
    navigate(
      routeHash("/", {
        q: view.search,
        status: view.status,
        sort: view.sortKey === "name" ? "" : view.sortKey,
        dir: view.sortDir < 0 ? "desc" : "",
        range: view.range === "1h" ? "" : view.range,
      }),
      { replace: true },
    );
  }, [view]);

  // The search box is not bound to the view: a render between a keystroke and the debounced
  // search (a tick arrives) would put the old text back. It is set at mount and on navigation.
  useLayoutEffect(() => {
    if (searchRef.current) searchRef.current.value = view.search;
  }, []);
  const searchTimer = useRef(/** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined));
  useEffect(() => () => clearTimeout(searchTimer.current), []);
  const onSearch = () => {
    clearTimeout(searchTimer.current);
    searchTimer.current = setTimeout(
      () => setView((v) => ({ ...v, search: searchRef.current?.value ?? "" })),
      80,
    );
  };
  const onSort = (/** @type {SortKey} */ key) =>
    setView((v) =>
      v.sortKey === key ? { ...v, sortDir: -v.sortDir } : {
        ...v,
        sortKey: key,
        sortDir: key === "name" || key === "os" || key === "status" ? 1 : -1,
      }
    );
  const clear = () => {
    if (searchRef.current) searchRef.current.value = "";
    setView((v) => ({ ...v, search: "", status: "" }));
  };

  const all = [...fleet.machines.values()];
  const loaded = ctx.loaded();
  const live = LIVE_KEYS.includes(view.sortKey);
  const rows = useMemo(
    () => fleetRows(all, view, now),
    [view, fleet.structureVersion, live ? fleet.valuesVersion : 0, live ? now : 0],
  );

  let message = null;
  if (!loaded) message = html`<${StateBox} kind="loading" title="Loading machines…" />`;
  else if (all.length === 0) message = html`<${EmptyFleet} />`;
  else if (rows.length === 0) {
    message = html`<${StateBox} kind="empty" title="No machine matches this search.">
      <button type="button" class="btn" onClick=${clear}>Clear search and filter</button><//>`;
  }

  return html`
    <div class="page page-fleet">
      <div class="page-head">
        <h1>Fleet</h1>
        <p class="counts" role="status" aria-live="polite">${loaded
          ? fleetCounts(all)
          : "Loading…"}</p>
      </div>
      <div class="fleet-charts-host" hidden=${loaded && all.length === 0}>
        <${FleetCharts} range=${view.range} anyOnline=${all.some((m) => m.online)} onRange=${(
          /** @type {string} */ range,
        ) => setView((v) => ({ ...v, range }))} />
      </div>
      <section class="machines" aria-label="Machines">
        <div class="toolbar">
          <h2 class="section-title">Machines</h2>
          <input type="search" class="input" placeholder="Search name, host or OS"
            aria-label="Search machines" ref=${searchRef} onInput=${onSearch} />
          <select class="input" aria-label="Filter by status" value=${view.status}
            onChange=${(/** @type {Event} */ e) =>
              setView({
                ...view,
                status: /** @type {HTMLSelectElement} */ (e.currentTarget).value,
              })}>
            <option value="">All statuses</option>
            <option value="online">Online</option>
            <option value="anomalous">Anomalous</option>
            <option value="offline">Offline</option>
            <option value="alerts">With alerts firing</option>
          </select>
        </div>
        <div class="fleet-message">${message}</div>
        <div class="table-host">
          <${FleetTable} rows=${rows} sortKey=${view.sortKey} sortDir=${view.sortDir} now=${now}
            onOpen=${(/** @type {string} */ id) => navigate(machineHash(id))}
            onSort=${onSort} onVisible=${sparks.want} />
        </div>
      </section>
    </div>
  `;
}

/** Mounts the fleet page (app.js's page shape). */
export const mountFleetPage = componentPage(FleetPage);
