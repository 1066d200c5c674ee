// @ts-check
/**
 * The browser's copy of the metric catalogue (src/protocol/metrics.ts): how a sample flattens
 * into `key -> value`, and each key's unit and label. tests/ui/metrics_js_test.ts checks that
 * both flatten a sample to the same keys and values.
 */

/** @type {Record<string, string>} */
const SCALAR_UNITS = {
  "cpu.usage": "percent",
  "cpu.user": "percent",
  "cpu.system": "percent",
  "cpu.iowait": "percent",
  "cpu.steal": "percent",
  "cpu.nice": "percent",
  "cpu.irq": "percent",
  "cpu.softirq": "percent",
  "mem.total": "bytes",
  "mem.used": "bytes",
  "mem.available": "bytes",
  "mem.cached": "bytes",
  "mem.buffers": "bytes",
  "mem.usedPct": "percent",
  "mem.swapTotal": "bytes",
  "mem.swapUsed": "bytes",
  "load.1": "load",
  "load.5": "load",
  "load.15": "load",
  "uptime": "seconds",
  "procs": "count",
  "procsRunning": "count",
  "pressure.cpu.some10": "percent",
  "pressure.memory.some10": "percent",
  "pressure.memory.full10": "percent",
  "pressure.io.some10": "percent",
  "pressure.io.full10": "percent",
  "anomaly.score": "ratio",
};

/** @type {Record<string, Record<string, string>>} */
const DEVICE_UNITS = {
  core: { usage: "percent" },
  disk: {
    readBps: "bytes_per_second",
    writeBps: "bytes_per_second",
    readIops: "per_second",
    writeIops: "per_second",
    utilPct: "percent",
  },
  net: {
    rxBps: "bytes_per_second",
    txBps: "bytes_per_second",
    rxPps: "per_second",
    txPps: "per_second",
    rxErrors: "per_second",
    txErrors: "per_second",
    rxDrops: "per_second",
    txDrops: "per_second",
  },
  fs: { size: "bytes", used: "bytes", usedPct: "percent" },
  temp: { celsius: "celsius" },
};

/**
 * Splits `family:name:field`; undefined for a scalar key.
 * @param {string} key
 */
export function parseDeviceKey(key) {
  const first = key.indexOf(":");
  const last = key.lastIndexOf(":");
  if (first < 0 || last === first) return undefined;
  return {
    family: key.slice(0, first),
    name: key.slice(first + 1, last),
    field: key.slice(last + 1),
  };
}

/**
 * The unit of a metric key ("percent", "bytes", ...), "count" when unknown.
 * @param {string} key
 */
export function unitOf(key) {
  const d = parseDeviceKey(key);
  if (d) return DEVICE_UNITS[d.family]?.[d.field] ?? "count";
  return SCALAR_UNITS[key] ?? "count";
}

/**
 * @param {Map<string, number>} out
 * @param {string} key
 * @param {unknown} value
 */
function put(out, key, value) {
  if (typeof value === "number" && Number.isFinite(value)) out.set(key, value);
}

/**
 * Flattens a sample (see DESIGN.md) the way the master does; absent and null values are left out.
 * @param {any} sample
 * @returns {Map<string, number>}
 */
export function flattenSample(sample) {
  /** @type {Map<string, number>} */
  const out = new Map();
  const { cpu, mem, load, pressure } = sample;
  if (cpu) {
    for (const f of ["usage", "user", "system", "iowait", "steal", "nice", "irq", "softirq"]) {
      put(out, `cpu.${f}`, cpu[f]);
    }
    (cpu.cores ?? []).forEach((/** @type {unknown} */ v, /** @type {number} */ i) =>
      put(out, `core:${i}:usage`, v)
    );
  }
  if (mem) {
    for (
      const f of [
        "total",
        "used",
        "available",
        "cached",
        "buffers",
        "usedPct",
        "swapTotal",
        "swapUsed",
      ]
    ) {
      put(out, `mem.${f}`, mem[f]);
    }
  }
  if (load) { for (const f of ["1", "5", "15"]) put(out, `load.${f}`, load[f]); }
  put(out, "uptime", sample.uptime);
  put(out, "procs", sample.procs);
  put(out, "procsRunning", sample.procsRunning);
  if (pressure) {
    put(out, "pressure.cpu.some10", pressure.cpu?.some10);
    put(out, "pressure.memory.some10", pressure.memory?.some10);
    put(out, "pressure.memory.full10", pressure.memory?.full10);
    put(out, "pressure.io.some10", pressure.io?.some10);
    put(out, "pressure.io.full10", pressure.io?.full10);
  }
  for (const d of sample.disks ?? []) {
    for (const f of Object.keys(DEVICE_UNITS.disk)) put(out, `disk:${d.name}:${f}`, d[f]);
  }
  for (const n of sample.net ?? []) {
    for (const f of Object.keys(DEVICE_UNITS.net)) put(out, `net:${n.iface}:${f}`, n[f]);
  }
  for (const fs of sample.filesystems ?? []) {
    for (const f of Object.keys(DEVICE_UNITS.fs)) put(out, `fs:${fs.mount}:${f}`, fs[f]);
  }
  for (const t of sample.temps ?? []) put(out, `temp:${t.sensor}/${t.label}:celsius`, t.celsius);
  return out;
}

/**
 * Sum of a per-device field over all devices of a sample (total disk or network rate).
 * @param {any[] | undefined} devices
 * @param {string[]} fields
 */
export function sumFields(devices, fields) {
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
