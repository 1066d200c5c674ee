/**
 * Test double of the Store for hub tests: machines and raw rows in memory, duplicates dropped by
 * (machine, seq), and an optional hook to observe or fail writes. Read queries the hub does not
 * need throw, so a test that relies on them fails loudly.
 */
import type { Sample } from "../../src/protocol/sample.ts";
import type {
  AnomalyEvent,
  IngestRow,
  MachineInfo,
  MachineRow,
  Store,
  Verdict,
} from "../../src/master/store/store_types.ts";

export interface MemoryStore extends Store {
  rows: IngestRow[];
  /** Called at the start of every write; throwing fails the write. */
  beforeWrite?: (rows: IngestRow[]) => void;
  closed: boolean;
}

export function createMemoryStore(): MemoryStore {
  const machines = new Map<string, MachineRow>();
  const seen = new Set<string>();
  const unsupported = (name: string) => () => {
    throw new Error(`memory store: ${name} is not supported`);
  };
  const store: MemoryStore = {
    rows: [],
    closed: false,
    registerMachine(info: MachineInfo, now: number): MachineRow {
      const old = machines.get(info.id);
      if (old?.purging) throw new RangeError(`machine ${info.id} is being deleted`);
      const row: MachineRow = {
        ...info,
        firstSeen: old?.firstSeen ?? now,
        lastSeen: old?.lastSeen ?? now,
        lastSeq: old?.lastSeq ?? -1,
      };
      if (old?.expectedOffline) row.expectedOffline = old.expectedOffline;
      machines.set(info.id, row);
      return { ...row };
    },
    getMachine: (id) => machines.get(id),
    removeMachine(id, now, { deleteData }) {
      const row = machines.get(id);
      if (!row) return undefined;
      row.removedAt ??= now;
      delete row.expectedOffline;
      if (deleteData) row.purging = true;
      return { ...row };
    },
    purgeMachine(id) {
      const row = machines.get(id);
      if (row && !row.purging) throw new RangeError(`machine ${id} is not being deleted`);
      const before = store.rows.length;
      store.rows = store.rows.filter((r) => r.machineId !== id);
      for (const key of [...seen]) if (key.startsWith(`${id}\u0000`)) seen.delete(key);
      machines.delete(id);
      return { deleted: { raw: before - store.rows.length }, done: true };
    },
    setExpectedOffline(id, mark) {
      const row = machines.get(id);
      if (!row) return undefined;
      if (mark) row.expectedOffline = { ...mark };
      else delete row.expectedOffline;
      return { ...row };
    },
    listMachines: () => [...machines.values()],
    touchMachines(lastSeen) {
      for (const [id, t] of lastSeen) {
        const row = machines.get(id);
        if (row) row.lastSeen = Math.max(row.lastSeen, t);
      }
    },
    write(rows) {
      store.beforeWrite?.(rows);
      const out = new Map<string, number>();
      for (const row of rows) {
        const key = `${row.machineId}\u0000${row.sample.seq}`;
        if (!seen.has(key)) {
          seen.add(key);
          store.rows.push(row);
        }
        const machine = machines.get(row.machineId)!;
        machine.lastSeq = Math.max(machine.lastSeq, row.sample.seq);
        out.set(row.machineId, machine.lastSeq);
      }
      return out;
    },
    latestSamples() {
      const out = new Map<string, { sample: Sample; verdict: Verdict | null }>();
      for (const row of store.rows) {
        const old = out.get(row.machineId);
        if (!old || row.sample.ts >= old.sample.ts) {
          out.set(row.machineId, { sample: row.sample, verdict: row.verdict ?? null });
        }
      }
      return out;
    },
    recentSamples: (id, limit) =>
      store.rows.filter((r) => r.machineId === id).slice(-limit).map((r) => r.sample),
    querySeries: unsupported("querySeries"),
    queryFleetSeries: unsupported("queryFleetSeries"),
    queryScatter: unsupported("queryScatter"),
    openAnomaly: unsupported("openAnomaly"),
    updateAnomaly: unsupported("updateAnomaly"),
    listAnomalies: (): AnomalyEvent[] => [],
    latestProcesses: () => undefined, // keeps no process scans
    processScans: () => [],
    processesAt: () => undefined,
    processHistory: unsupported("processHistory"),
    applyRetention: () => 0,
    close() {
      store.closed = true;
    },
  };
  return store;
}
