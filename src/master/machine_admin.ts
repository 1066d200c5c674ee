/**
 * What a person does to a machine through the API: remove it from the fleet, its data kept or
 * deleted, and mark it as expected to be offline. The store keeps both; the fleet state tells the
 * live feed, /metrics and the alerts (wired in server.ts).
 *
 * A machine whose worker is connected is only removed with `force`: the worker would otherwise
 * bring it straight back. Forced, the connection is closed, and the machine still comes back if
 * its worker connects again (a removed machine that connects is reactivated). The master's own
 * host, sampled in-process, cannot be removed while the master samples it.
 */
import type { AlertService } from "../alerts/service.ts";
import { CLOSE } from "../protocol/close_codes.ts";
import type { FleetState } from "./fleet_state.ts";
import type { IngestHub } from "./ingest_hub.ts";
import type { ExpectedOffline, Store } from "./store/store_types.ts";

/** A request the master refuses, with the HTTP status that says why. */
export class MachineAdminError extends Error {
  override name = "MachineAdminError";
  constructor(readonly status: 400 | 404 | 409 | 503, message: string) {
    super(message);
  }
}

export interface MachineAdminOptions {
  store: Store;
  fleet: FleetState;
  hub: IngestHub;
  /** Deletes the recorded alerts of machines removed with their data. */
  alerts?: AlertService;
  log: (line: string) => void;
  now: () => number;
  /** The machine the master samples in-process, if any. */
  localMachineId?: () => string | undefined;
  /** Rows deleted per slice; ingest and requests run between slices (default 5,000). */
  sliceRows?: number;
}

export interface RemoveRequest {
  /** The machine's name or id, as the person's confirmation. */
  confirm: string;
  deleteData: boolean;
  /** Disconnect a connected worker instead of refusing. */
  force?: boolean;
}

export interface RemoveResult {
  id: string;
  name: string;
  data: "kept" | "deleted";
  /** A connected worker was disconnected (with force). */
  disconnected: boolean;
  /** With data "deleted": rows deleted per table (`alert_history`: recorded alerts). */
  deleted?: Record<string, number>;
}

const NOT_FOUND = "no machine with that id";

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function addCounts(total: Record<string, number>, more: Record<string, number>): void {
  for (const [table, n] of Object.entries(more)) total[table] = (total[table] ?? 0) + n;
}

export class MachineAdmin {
  readonly #o: MachineAdminOptions;
  readonly #slice: number;
  #stopped = false;

  constructor(options: MachineAdminOptions) {
    this.#o = options;
    this.#slice = options.sliceRows ?? 5_000;
  }

  /** Removes a machine from the fleet; with `deleteData`, resolves once its data is gone. */
  async remove(id: string, request: RemoveRequest): Promise<RemoveResult> {
    const { store, fleet, hub, log } = this.#o;
    const state = fleet.get(id);
    const stored = store.getMachine(id);
    if (!state && !stored) throw new MachineAdminError(404, NOT_FOUND);
    const name = state?.row.name ?? stored!.name;
    if (request.confirm !== id && request.confirm !== name) {
      throw new MachineAdminError(
        400,
        `confirm: ${JSON.stringify(request.confirm)} is neither this machine's name ` +
          `(${JSON.stringify(name)}) nor its id; send one of them to confirm the removal`,
      );
    }
    if (stored?.purging) {
      throw new MachineAdminError(409, "this machine was removed and its data is being deleted");
    }
    if (!state && !request.deleteData) {
      throw new MachineAdminError(
        409,
        'this machine was already removed (its data is kept); send "data": "delete" to delete it',
      );
    }
    let disconnected = false;
    if (state?.connected) {
      if (this.#o.localMachineId?.() === id) {
        throw new MachineAdminError(
          409,
          "this is the master's own host, which the master samples itself: it would come back " +
            "at once; restart the master with --no-local-worker to remove it",
        );
      }
      if (!request.force) {
        throw new MachineAdminError(
          409,
          "its worker is connected right now and would bring it straight back: stop the worker " +
            'on that machine first, or send "force": true to disconnect it (it comes back if ' +
            "its worker connects again)",
        );
      }
      hub.holderOf(id)?.close(CLOSE.normal, "machine removed on the master");
      disconnected = true;
    }
    // Rows of it still queued are stored now, so they are kept, or deleted with the rest.
    hub.flush();
    store.removeMachine(id, this.#o.now(), { deleteData: request.deleteData });
    fleet.remove(id);
    const what = `machine ${JSON.stringify(name)} (${id})`;
    const how = request.deleteData ? "deleting its data" : "its data is kept";
    log(`${what} removed from the fleet${disconnected ? " (worker disconnected)" : ""}; ${how}`);
    const result: RemoveResult = { id, name, data: "kept", disconnected };
    if (!request.deleteData) return result;
    result.data = "deleted";
    result.deleted = await this.#purge(id, what);
    return result;
  }

  /**
   * Marks a machine as expected to be offline until `until` (null: until lifted), with a note:
   * its offline alert ends and none fires. Marking it again keeps the first `since`.
   */
  setExpectedOffline(id: string, mark: { until: number | null; note: string | null }) {
    const state = this.#o.fleet.get(id);
    if (!state) throw new MachineAdminError(404, NOT_FOUND);
    const now = this.#o.now();
    if (mark.until !== null && mark.until <= now) {
      throw new MachineAdminError(400, "until: must be in the future");
    }
    const value: ExpectedOffline = {
      since: state.row.expectedOffline?.since ?? now,
      until: mark.until,
      note: mark.note,
    };
    this.#o.store.setExpectedOffline(id, value);
    this.#o.fleet.setExpectedOffline(id, value);
    const until = value.until === null ? "until lifted" : new Date(value.until).toISOString();
    this.#o.log(`machine ${JSON.stringify(state.row.name)} (${id}) expected offline (${until})`);
    return value;
  }

  /** Lifts the mark (nothing to do when there is none). */
  clearExpectedOffline(id: string, why = "lifted"): void {
    const state = this.#o.fleet.get(id);
    if (!state) throw new MachineAdminError(404, NOT_FOUND);
    if (!state.row.expectedOffline) return;
    this.#o.store.setExpectedOffline(id, null);
    this.#o.fleet.setExpectedOffline(id, null);
    this.#o.log(`machine ${JSON.stringify(state.row.name)} (${id}): expected-offline mark ${why}`);
  }

  /** Lifts the marks whose end has come (called every second). */
  expire(now: number): void {
    for (const state of this.#o.fleet.all()) {
      const until = state.row.expectedOffline?.until;
      if (until !== undefined && until !== null && until <= now) {
        this.clearExpectedOffline(state.row.id, "ended");
      }
    }
  }

  /** Finishes deletions a previous run left unfinished, one machine after the other. */
  async resumePurges(): Promise<void> {
    for (const row of this.#o.store.listMachines()) {
      if (!row.purging || this.#stopped) continue;
      const what = `machine ${JSON.stringify(row.name)} (${row.id})`;
      this.#o.log(`${what} was removed with its data: finishing the deletion`);
      await this.#purge(row.id, what);
    }
  }

  /** Stops deleting (the master is shutting down); the next start resumes. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Deletes the machine's recorded alerts, then its data and its row, in slices with the event
   * loop running between them. The alerts go first: the row marks the job until the very end.
   */
  async #purge(id: string, what: string): Promise<Record<string, number>> {
    const { store, alerts, log, now } = this.#o;
    const started = now();
    const total: Record<string, number> = {};
    const halt = () => {
      if (!this.#stopped) return;
      throw new MachineAdminError(
        503,
        "the master is shutting down; the deletion resumes when it starts again",
      );
    };
    if (alerts) {
      for (;;) {
        halt();
        const n = alerts.deleteMachineHistory(id, this.#slice);
        if (n > 0) addCounts(total, { alert_history: n });
        if (n < this.#slice) break;
        await yieldToEventLoop();
      }
    }
    for (;;) {
      halt();
      const progress = store.purgeMachine(id, this.#slice);
      addCounts(total, progress.deleted);
      if (progress.done) break;
      await yieldToEventLoop();
    }
    const rows = Object.values(total).reduce((a, b) => a + b, 0);
    log(`${what}: data deleted (${rows} rows in ${((now() - started) / 1000).toFixed(1)} s)`);
    return total;
  }
}
