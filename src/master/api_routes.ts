/** The read side of the HTTP API (docs/api.md): machines, series, fleet, scatter, anomalies. */
import type { Hono } from "hono";
import type { FleetState } from "./fleet_state.ts";
import { machineJson, machineJsonText } from "./machine_json.ts";
import {
  BadRequestError,
  idsParam,
  intParam,
  machineParam,
  metricsParam,
  timeRange,
} from "./query_params.ts";
import type { Store } from "./store/store_types.ts";
import { processesOfEvent } from "./event_processes.ts";

export interface ApiDeps {
  store: Store;
  fleet: FleetState;
  now: () => number;
}

const HOUR = 3_600_000;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
const NOT_FOUND = { error: "no machine with that id" };

function hasKeptData(store: Store, id: string): boolean {
  const row = store.getMachine(id);
  return row !== undefined && !row.purging;
}

/** Registers /api/machines*, /api/fleet/series, /api/fleet/sparklines, /api/scatter and /api/anomalies on `app`. */
export function registerApiRoutes(app: Hono, deps: ApiDeps): void {
  const { store, fleet, now } = deps;

  app.get("/api/machines", (c) => {
    const states = fleet.all();
    states.sort((a, b) => compare(a.row.name, b.row.name) || compare(a.row.id, b.row.id));
    const body = `[${states.map(machineJsonText).join(",")}]`;
    return c.body(body, 200, { "Content-Type": "application/json; charset=UTF-8" });
  });

  app.get("/api/machines/:id", (c) => {
    const state = fleet.get(c.req.param("id"));
    return state ? c.json(machineJson(state)) : c.json(NOT_FOUND, 404);
  });

  app.get("/api/machines/:id/series", (c) => {
    const id = c.req.param("id");
    const query = c.req.query();
    const { from, to } = timeRange(query, now(), HOUR);
    const points = intParam(query, "points", 1000, 1, 10_000);
    const metrics = metricsParam(query);
    // A removed machine whose data was kept still has its history.
    if (!fleet.get(id) && !hasKeptData(store, id)) return c.json(NOT_FOUND, 404);
    return c.json(store.querySeries(id, { from, to, points, metrics }));
  });

  app.get("/api/fleet/series", (c) => {
    const query = c.req.query();
    const { from, to } = timeRange(query, now(), HOUR);
    const points = intParam(query, "points", 1000, 1, 10_000);
    return c.json(store.queryFleetSeries({ from, to, points }));
  });

  // Every fleet row's sparkline in one request: one metric of many machines over a range.
  app.get("/api/fleet/sparklines", (c) => {
    const query = c.req.query();
    const { from, to } = timeRange(query, now(), HOUR);
    const points = intParam(query, "points", 180, 1, 1000);
    const metric = query.metric || "cpu.usage";
    if (metric.length > 600) throw new BadRequestError("metric: longer than 600 characters");
    const ids = idsParam(c.req.queries("id")) ?? fleet.all().map((state) => state.row.id);
    const machines: Record<string, { t: number[]; v: (number | null)[] }> = {};
    let stepMs = 0;
    for (const id of ids) {
      if (!fleet.get(id)) continue; // removed or never seen: left out, not an error
      const r = store.querySeries(id, { from, to, points, metrics: [metric] });
      stepMs = r.stepMs;
      machines[id] = { t: r.t, v: r.avg[metric] ?? r.t.map(() => null) };
    }
    return c.json({ from, to, stepMs, metric, machines });
  });

  app.get("/api/scatter", (c) => {
    const query = c.req.query();
    const { from, to } = timeRange(query, now(), HOUR);
    const limit = intParam(query, "limit", 5000, 1, 100_000);
    const machineId = machineParam(query);
    return c.json(store.queryScatter({ from, to, machineId, limit }));
  });

  app.get("/api/anomalies", (c) => {
    const query = c.req.query();
    const { from, to } = timeRange(query, now(), 7 * 24 * HOUR);
    const limit = intParam(query, "limit", 500, 1, 10_000);
    const machineId = machineParam(query);
    const events = store.listAnomalies({ from, to, machineId, limit });
    return c.json(
      events.map((event) => ({
        ...event,
        machineName: fleet.get(event.machineId)?.row.name ??
          store.getMachine(event.machineId)?.name ??
          event.machineId,
        processes: processesOfEvent(store, event, now()),
      })),
    );
  });
}
