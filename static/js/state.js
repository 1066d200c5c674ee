// @ts-check
/**
 * The fleet as the browser knows it: machines from /api/machines, kept current by `/ws/live`
 * `tick` and `machine` frames, with a 15-minute CPU history per machine for sparklines.
 */

/** How much CPU history a sparkline shows. */
export const SPARK_WINDOW_MS = 15 * 60 * 1000;
/** How long after a refused clone the UI still points at it. */
export const CLASH_SHOWN_MS = 10 * 60_000;

/**
 * @typedef {{
 *   id: string, name: string, hostname: string, os: string, osName: string,
 *   online: boolean, lastSeen: number, info: any,
 *   cpu: number | null, mem: number | null, diskBps: number | null, netBps: number | null,
 *   uptime: number | null, uptimeAt: number,
 *   score: number | null, anomalous: boolean, reason: string | null, alerts: number,
 *   sparkT: number[], sparkV: (number | null)[], sparkLoaded: boolean, version: number,
 *   unreachable?: boolean, offlineAfterTs?: number,
 * }} MachineView
 */

/**
 * @typedef {"online" | "anomalous" | "offline" | "expected" | "unreachable"} Status
 */

/**
 * "online", "anomalous", "offline", "expected" (offline, as a person said it would be) or
 * "unreachable" (the master is: what the machines do is not known).
 * @param {MachineView} m
 * @returns {Status}
 */
export function statusOf(m) {
  if (m.unreachable) return "unreachable";
  if (!m.online) return m.info?.expectedOffline ? "expected" : "offline";
  return m.anomalous ? "anomalous" : "online";
}

/** A status in words. */
export const STATUS_WORDS = /** @type {const} */ ({
  online: "online",
  anomalous: "anomalous",
  offline: "offline",
  expected: "expected offline",
  unreachable: "master unreachable",
});

/**
 * Uptime now, counted on from the last sample while the machine is online.
 * @param {MachineView} m
 * @param {number} now
 */
export function uptimeNow(m, now) {
  if (m.uptime === null) return null;
  return m.online ? m.uptime + Math.max(0, now - m.uptimeAt) / 1000 : m.uptime;
}

/**
 * Appends a point to a machine's sparkline history and drops what is older than the window.
 * @param {MachineView} m
 * @param {number} t
 * @param {number | null} v
 */
export function pushSpark(m, t, v) {
  const last = m.sparkT.length ? m.sparkT[m.sparkT.length - 1] : -Infinity;
  if (t <= last) return;
  m.sparkT.push(t);
  m.sparkV.push(v);
  const cutoff = t - SPARK_WINDOW_MS;
  let drop = 0;
  while (drop < m.sparkT.length && m.sparkT[drop] < cutoff) drop++;
  if (drop > 64 || (drop > 0 && m.sparkT.length > 2000)) {
    m.sparkT.splice(0, drop);
    m.sparkV.splice(0, drop);
  }
}

/** The client-side fleet store. */
export function createFleet() {
  /** @type {Map<string, MachineView>} */
  const machines = new Map();
  /** Bumped when machines appear, disappear, are renamed or change online state. */
  let structureVersion = 0;
  /** Bumped on every value update. */
  let valuesVersion = 0;
  /** @type {Set<(kind: "structure" | "values") => void>} */
  const listeners = new Set();

  /** @param {"structure" | "values"} kind */
  function emit(kind) {
    for (const fn of listeners) fn(kind);
  }

  /**
   * Inserts or updates a machine from the API shape.
   * @param {any} info
   * @returns {boolean} whether the row's identity or status changed
   */
  function upsert(info) {
    const s = info.latest;
    const existing = machines.get(info.id);
    const m = existing ?? /** @type {MachineView} */ (/** @type {unknown} */ ({
      id: info.id,
      sparkT: [],
      sparkV: [],
      sparkLoaded: false,
      version: 0,
      cpu: null,
      mem: null,
      diskBps: null,
      netBps: null,
      uptime: null,
      uptimeAt: 0,
      score: null,
      anomalous: false,
      reason: null,
      alerts: 0,
    }));
    const before = existing ? `${m.name}\0${m.online}\0${m.anomalous}\0${m.alerts > 0}` : "";
    m.info = info;
    m.name = String(info.name ?? info.hostname ?? info.id);
    m.hostname = String(info.hostname ?? "");
    m.os = String(info.os ?? "");
    m.osName = String(info.osName ?? info.os ?? "");
    m.online = !!info.online;
    // The newest sample the master had when it called the machine offline: a tick about that
    // sample, sent just after the frame, must not bring the machine back online.
    if (!m.online) m.offlineAfterTs = Number(s?.ts ?? 0);
    m.lastSeen = Number(info.lastSeen ?? 0);
    if (s && (!existing || s.ts >= m.uptimeAt)) {
      m.cpu = s.cpu?.usage ?? m.cpu;
      m.mem = s.mem?.usedPct ?? m.mem;
      m.diskBps = sumFields(s.disks, ["readBps", "writeBps"]) ?? m.diskBps;
      m.netBps = sumFields(s.net, ["rxBps", "txBps"]) ?? m.netBps;
      if (typeof s.uptime === "number") {
        m.uptime = s.uptime;
        m.uptimeAt = s.ts;
      }
    }
    if (info.anomaly) {
      m.score = info.anomaly.score ?? null;
      m.anomalous = !!info.anomaly.anomalous;
      m.reason = info.anomaly.reason ?? null;
    }
    m.alerts = Math.max(0, Number(info.alerts) || 0);
    m.version++;
    machines.set(m.id, m);
    return before !== `${m.name}\0${m.online}\0${m.anomalous}\0${m.alerts > 0}`;
  }

  let reachable = true;
  return {
    machines,
    /**
     * Drops a machine a person removed (live `removed` frame).
     * @param {string} id
     */
    remove(id) {
      if (!machines.delete(id)) return;
      structureVersion++;
      emit("structure");
    },
    /** Whether the master answers; while it does not, no machine's state is known. */
    get reachable() {
      return reachable;
    },
    /** @param {boolean} yes */
    setReachable(yes) {
      if (yes === reachable) return;
      reachable = yes;
      for (const m of machines.values()) {
        m.unreachable = !yes;
        m.version++;
      }
      structureVersion++;
      emit("structure");
    },
    get structureVersion() {
      return structureVersion;
    },
    get valuesVersion() {
      return valuesVersion;
    },
    /** @param {(kind: "structure" | "values") => void} fn */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /**
     * Replaces the whole list (initial load and after a reconnect).
     * @param {any[]} list
     */
    load(list) {
      const seen = new Set();
      for (const info of list) {
        upsert(info);
        seen.add(info.id);
      }
      for (const id of [...machines.keys()]) if (!seen.has(id)) machines.delete(id);
      structureVersion++;
      emit("structure");
    },
    /** @param {any} info a `machine` frame's machine */
    updateMachine(info) {
      if (upsert(info)) {
        structureVersion++;
        emit("structure");
      } else {
        valuesVersion++;
        emit("values");
      }
    },
    /**
     * Applies a `tick` frame. Returns ids of machines the store does not know yet.
     * @param {any} tick
     * @returns {string[]}
     */
    applyTick(tick) {
      /** @type {string[]} */
      const unknown = [];
      let statusChanged = false;
      for (const e of tick.machines ?? []) {
        const m = machines.get(e.id);
        if (!m) {
          unknown.push(e.id);
          continue;
        }
        const wasAnomalous = m.anomalous;
        const wasOnline = m.online;
        if (e.cpu !== undefined) m.cpu = e.cpu;
        if (e.mem !== undefined) m.mem = e.mem;
        if (e.diskBps !== undefined) m.diskBps = e.diskBps;
        if (e.netBps !== undefined) m.netBps = e.netBps;
        if (e.score !== undefined) m.score = e.score;
        if (typeof e.anomalous === "boolean") m.anomalous = e.anomalous;
        const ts = Number(e.ts ?? tick.ts);
        if (m.online || ts > (m.offlineAfterTs ?? 0)) m.online = true;
        if (m.uptime !== null && ts > m.uptimeAt) {
          m.uptime += (ts - m.uptimeAt) / 1000;
          m.uptimeAt = ts;
        }
        m.lastSeen = ts;
        pushSpark(m, ts, typeof e.cpu === "number" ? e.cpu : null);
        m.version++;
        if (wasAnomalous !== m.anomalous || wasOnline !== m.online) statusChanged = true;
      }
      valuesVersion++;
      if (statusChanged) structureVersion++;
      emit(statusChanged ? "structure" : "values");
      return unknown;
    },
  };
}

/** @typedef {ReturnType<typeof createFleet>} Fleet */

/**
 * Sum of per-device fields over all devices of a sample (total disk or network rate); null
 * when no device has one.
 * @param {any[] | undefined} devices
 * @param {string[]} fields
 */
function sumFields(devices, fields) {
  let total = 0;
  let any = false;
  for (const d of devices ?? []) {
    for (const f of fields) {
      if (typeof d[f] === "number") {
        total += d[f];
        any = true;
      }
    }
  }
  return any ? total : null;
}
