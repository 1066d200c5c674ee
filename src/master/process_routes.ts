/**
 * The process API (docs/api.md, docs/processes.md): what ran on a machine at a time, sorted by a
 * resource, and one process or one process name over a range.
 */
import type { Hono } from "hono";
import type { FleetState } from "./fleet_state.ts";
import { BadRequestError, intParam, timeRange } from "./query_params.ts";
import type { ProcessSnapshot, ProcessView } from "./store/process_query.ts";
import type { Store } from "./store/store_types.ts";

export interface ProcessRouteDeps {
  store: Store;
  fleet: FleetState;
  now: () => number;
}

const NOT_FOUND = { error: "no machine with that id" };
/** Latest time accepted (year 3000), as for from/to. */
const MAX_TIME = 32_503_680_000_000;

/** `sort=` keys and what they order by, highest first (unknown figures last). */
export const PROCESS_SORTS: Readonly<Record<string, (p: ProcessView) => number | null>> = {
  cpu: (p) => p.cpu,
  rss: (p) => p.rss,
  read: (p) => p.readBps,
  write: (p) => p.writeBps,
};

function sortParam(query: Record<string, string | undefined>): (p: ProcessView) => number | null {
  const key = query.sort ?? "cpu";
  const by = PROCESS_SORTS[key];
  if (!by) {
    throw new BadRequestError(
      `sort: "${key.slice(0, 40)}" is not one of ${Object.keys(PROCESS_SORTS).join(", ")}`,
    );
  }
  return by;
}

/** Sorts a snapshot's processes by `by`, highest first, and keeps the first `limit`. */
export function sortSnapshot(
  snapshot: ProcessSnapshot,
  by: (p: ProcessView) => number | null,
  limit: number,
): ProcessSnapshot {
  const processes = [...snapshot.processes].sort((a, b) =>
    (by(b) ?? -1) - (by(a) ?? -1) || a.pid - b.pid
  );
  return { ...snapshot, processes: processes.slice(0, limit) };
}

/** Registers /api/machines/:id/processes and /api/machines/:id/processes/history. */
export function registerProcessRoutes(app: Hono, deps: ProcessRouteDeps): void {
  const { store, fleet, now } = deps;

  app.get("/api/machines/:id/processes", (c) => {
    const id = c.req.param("id");
    const query = c.req.query();
    const by = sortParam(query);
    const limit = intParam(query, "limit", 1000, 1, 1000);
    if (!fleet.get(id)) return c.json(NOT_FOUND, 404);
    let snapshot: ProcessSnapshot | undefined;
    if (query.at === undefined || query.at === "") {
      const scan = store.latestProcesses(id);
      if (scan) {
        snapshot = {
          tier: "raw",
          t: scan.ts,
          spanMs: scan.spanMs,
          processes: scan.top,
          watched: scan.watched ?? [],
        };
        if (scan.ioUnreadable !== undefined) snapshot.ioUnreadable = scan.ioUnreadable;
      }
    } else {
      snapshot = store.processesAt(id, intParam(query, "at", 0, 0, MAX_TIME));
    }
    if (!snapshot) {
      return c.json({ error: "no process scan of this machine covers that time" }, 404);
    }
    return c.json(sortSnapshot(snapshot, by, limit));
  });

  app.get("/api/machines/:id/processes/history", (c) => {
    const id = c.req.param("id");
    const query = c.req.query();
    const { from, to } = timeRange(query, now(), 3_600_000);
    const points = intParam(query, "points", 1000, 1, 10_000);
    const hasPid = query.pid !== undefined && query.pid !== "";
    const name = query.name;
    const hasName = name !== undefined && name !== "";
    if (hasPid === hasName) throw new BadRequestError("give either pid (with start) or name");
    if (hasName && name.length > 256) throw new BadRequestError("name: longer than 256 characters");
    if (!hasPid && query.start !== undefined) throw new BadRequestError("start goes with pid");
    if (!fleet.get(id)) return c.json(NOT_FOUND, 404);
    return c.json(store.processHistory(id, {
      from,
      to,
      points,
      ...(hasPid
        ? {
          pid: intParam(query, "pid", 0, 0, 2 ** 31),
          ...(query.start ? { start: intParam(query, "start", 0, 0, MAX_TIME) } : {}),
        }
        : { name }),
    }));
  });
}
