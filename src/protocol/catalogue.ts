/**
 * The metric catalogue: every numeric series a sample carries, declared once. Flattening a
 * sample into series keys, the store's layouts, /metrics, alert rule checks, the machine page's
 * charts and the words of anomaly causes and alerts all derive from this list (see
 * docs/design.md). Adding a metric the sample already carries is one entry here.
 *
 * Keys: scalar metrics have dotted keys (`cpu.usage`, `mem.usedPct`, `load.1`); per-device
 * metrics have keys `FAMILY:NAME:FIELD` (`core:0:usage`, `net:eth0:rxBps`, `fs:/var:usedPct`).
 * This module is shared with the browser (bundled into static/gen/catalogue.js): no imports
 * beyond types.
 */

/** Unit of a metric's value in the sample, for display and Prometheus names. */
export type MetricUnit =
  | "percent"
  | "bytes"
  | "bytes_per_second"
  | "per_second"
  | "seconds"
  | "count"
  | "ratio"
  | "celsius"
  | "load";

/**
 * `gauge`: the value is a level. `counter`: the source is a monotonic kernel counter, the sample
 * carries its per-second rate, and /metrics exports the running total (`_total`).
 */
export type MetricKind = "gauge" | "counter";

/** Where a metric is drawn on the machine page. */
export interface ChartPlacement {
  /** Id of a chart in `CHARTS`. */
  chart: string;
  /** Series label; per-device series read `DEVICE LABEL` (`eth0 in`), or the device alone. */
  series?: string;
  width?: number;
  dash?: number[];
  fill?: boolean;
}

/** One metric of a family, as declared. */
export interface MetricEntry {
  /** The field of the family's object in the sample; dotted for nested ones (`cpu.some10`). */
  field: string;
  /** Series key (scalars) or its field part (devices) when not derived from `field`. */
  key?: string;
  unit: MetricUnit;
  kind: MetricKind;
  /** What people call it: "Network in", "Disk busy". */
  label: string;
  /** One line for Prometheus HELP and tooltips. */
  help: string;
  /** Prometheus metric name (counters end in `_total`). */
  prom: string;
  plot?: ChartPlacement;
}

/** A per-device family: the sample holds a list of devices (or, for cores, of values). */
export interface DeviceFamily {
  /** Field of the sample (or of `sample.cpu` for cores) holding the list. */
  list: string;
  /** Fields whose values, joined with "/", name the device; empty: the list index names it. */
  nameFields: string[];
  /** Prometheus label carrying the device name. */
  promLabel: string;
  /** The word before the device in a description: "on eth0", "at coretemp/Core 0". */
  on: "on" | "at";
  /** Said before a device name that is only a number: "core 3". */
  noun?: string;
}

/** A group of metrics read from one object of the sample. */
export interface FamilyEntry {
  /** Key prefix: `cpu` (scalars `cpu.usage`) or `net` (per device `net:eth0:rxBps`). */
  name: string;
  /** Where the object sits in the sample: a field name, or "" for the sample itself. */
  path: string;
  device?: DeviceFamily;
  metrics: MetricEntry[];
}

/** A chart of the machine page. */
export interface ChartEntry {
  id: string;
  title: string;
  unit: MetricUnit;
  range?: [number, number];
  /** Shown only when asked for (per-core CPU). */
  optional?: boolean;
}

const pct = "percent";

function cpuTime(field: string, label: string, help: string, series?: string): MetricEntry {
  const entry: MetricEntry = {
    field,
    unit: pct,
    kind: "gauge",
    label,
    help,
    prom: `gridmon_cpu_${field}_percent`,
  };
  if (series) entry.plot = { chart: "cpu", series, ...(field === "usage" ? { width: 2 } : {}) };
  return entry;
}

function psi(resource: string, line: "some" | "full", label: string): MetricEntry {
  const what = resource === "io" ? "I/O" : resource === "cpu" ? "CPU" : "Memory";
  return {
    field: `${resource}.${line}10`,
    unit: pct,
    kind: "gauge",
    label,
    help: `${what} pressure (${line}, 10 s average)`,
    prom: `gridmon_pressure_${resource}_${line}10_percent`,
    plot: { chart: "pressure", series: `${resource} ${line}` },
  };
}

function rate(
  field: string,
  unit: "bytes_per_second" | "per_second",
  label: string,
  help: string,
  prom: string,
  plot?: ChartPlacement,
): MetricEntry {
  return { field, unit, kind: "counter", label, help, prom, ...(plot ? { plot } : {}) };
}

/** A count of the newest process scan (src/protocol/processes.ts). */
function processCount(field: string, label: string, help: string, prom?: string): MetricEntry {
  return {
    field,
    unit: "count",
    kind: "gauge",
    label,
    help,
    prom: prom ?? `gridmon_processes_state_${field}`,
  };
}

/** The families, in the order a sample flattens. */
export const FAMILIES: readonly FamilyEntry[] = [
  {
    name: "cpu",
    path: "cpu",
    metrics: [
      cpuTime("usage", "CPU", "CPU busy time, all cores", "total"),
      cpuTime("user", "CPU user", "CPU time in user space", "user"),
      cpuTime("system", "CPU system", "CPU time in the kernel", "system"),
      cpuTime("iowait", "CPU I/O wait", "CPU time waiting for I/O", "iowait"),
      cpuTime("steal", "CPU steal", "CPU time stolen by the hypervisor", "steal"),
      cpuTime("nice", "CPU nice", "CPU time in niced user processes"),
      cpuTime("irq", "CPU IRQ", "CPU time in hardware interrupts"),
      cpuTime("softirq", "CPU soft IRQ", "CPU time in software interrupts"),
    ],
  },
  {
    name: "core",
    path: "cpu",
    device: { list: "cores", nameFields: [], promLabel: "core", on: "on", noun: "core" },
    metrics: [{
      field: "",
      key: "usage",
      unit: pct,
      kind: "gauge",
      label: "CPU",
      help: "CPU busy time of one core",
      prom: "gridmon_cpu_core_usage_percent",
      plot: { chart: "cores" },
    }],
  },
  {
    name: "mem",
    path: "mem",
    metrics: [
      {
        field: "total",
        unit: "bytes",
        kind: "gauge",
        label: "Memory total",
        help: "Physical memory",
        prom: "gridmon_memory_total_bytes",
        plot: { chart: "mem", series: "total", dash: [4, 4], width: 1 },
      },
      {
        field: "used",
        unit: "bytes",
        kind: "gauge",
        label: "Memory used",
        help: "Memory in use (total minus available)",
        prom: "gridmon_memory_used_bytes",
        plot: { chart: "mem", series: "used", fill: true },
      },
      {
        field: "available",
        unit: "bytes",
        kind: "gauge",
        label: "Memory available",
        help: "Memory available for new work",
        prom: "gridmon_memory_available_bytes",
      },
      {
        field: "cached",
        unit: "bytes",
        kind: "gauge",
        label: "Page cache",
        help: "Page cache",
        prom: "gridmon_memory_cached_bytes",
        plot: { chart: "mem", series: "cached" },
      },
      {
        field: "buffers",
        unit: "bytes",
        kind: "gauge",
        label: "Buffers",
        help: "Buffers",
        prom: "gridmon_memory_buffers_bytes",
      },
      {
        field: "usedPct",
        unit: pct,
        kind: "gauge",
        label: "Memory",
        help: "Memory in use",
        prom: "gridmon_memory_used_percent",
      },
      {
        field: "swapTotal",
        unit: "bytes",
        kind: "gauge",
        label: "Swap total",
        help: "Swap space",
        prom: "gridmon_swap_total_bytes",
      },
      {
        field: "swapUsed",
        unit: "bytes",
        kind: "gauge",
        label: "Swap used",
        help: "Swap in use",
        prom: "gridmon_swap_used_bytes",
        plot: { chart: "mem", series: "swap used" },
      },
    ],
  },
  {
    name: "load",
    path: "load",
    metrics: ["1", "5", "15"].map((m): MetricEntry => ({
      field: m,
      unit: "load",
      kind: "gauge",
      label: `Load (${m} min)`,
      help: `Load average over ${m === "1" ? "1 minute" : `${m} minutes`}`,
      prom: `gridmon_load${m}`,
      plot: { chart: "load", series: `${m} min` },
    })),
  },
  {
    name: "",
    path: "",
    metrics: [
      {
        field: "uptime",
        unit: "seconds",
        kind: "gauge",
        label: "Uptime",
        help: "Time since boot",
        prom: "gridmon_uptime_seconds",
      },
      {
        field: "procs",
        unit: "count",
        kind: "gauge",
        label: "Processes",
        help: "Processes",
        prom: "gridmon_processes",
      },
      {
        field: "procsRunning",
        unit: "count",
        kind: "gauge",
        label: "Runnable processes",
        help: "Runnable processes",
        prom: "gridmon_processes_running",
      },
    ],
  },
  {
    name: "procs",
    path: "processCounts",
    metrics: [
      processCount("threads", "Threads", "Threads of all readable processes", "gridmon_threads"),
      processCount("running", "Running processes", "Processes running (state R)"),
      processCount("sleeping", "Sleeping processes", "Processes sleeping (states S and I)"),
      processCount("blocked", "Blocked processes", "Processes in uninterruptible sleep (D)"),
      processCount("zombie", "Zombie processes", "Processes exited but not reaped (Z)"),
    ],
  },
  {
    name: "pressure",
    path: "pressure",
    metrics: [
      psi("cpu", "some", "CPU pressure"),
      psi("memory", "some", "Memory pressure"),
      psi("memory", "full", "Memory pressure (full)"),
      psi("io", "some", "I/O pressure"),
      psi("io", "full", "I/O pressure (full)"),
    ],
  },
  {
    name: "disk",
    path: "",
    device: { list: "disks", nameFields: ["name"], promLabel: "device", on: "on" },
    metrics: [
      rate(
        "readBps",
        "bytes_per_second",
        "Disk read",
        "Bytes read",
        "gridmon_disk_read_bytes_total",
        {
          chart: "disk",
          series: "read",
        },
      ),
      rate(
        "writeBps",
        "bytes_per_second",
        "Disk write",
        "Bytes written",
        "gridmon_disk_written_bytes_total",
        { chart: "disk", series: "write" },
      ),
      rate("readIops", "per_second", "Disk reads", "Reads completed", "gridmon_disk_reads_total"),
      rate(
        "writeIops",
        "per_second",
        "Disk writes",
        "Writes completed",
        "gridmon_disk_writes_total",
      ),
      {
        field: "utilPct",
        unit: pct,
        kind: "gauge",
        label: "Disk busy",
        help: "Time the device was busy",
        prom: "gridmon_disk_busy_percent",
        plot: { chart: "diskutil" },
      },
    ],
  },
  {
    name: "net",
    path: "",
    device: { list: "net", nameFields: ["iface"], promLabel: "device", on: "on" },
    metrics: [
      rate(
        "rxBps",
        "bytes_per_second",
        "Network in",
        "Bytes received",
        "gridmon_network_receive_bytes_total",
        { chart: "net", series: "in" },
      ),
      rate(
        "txBps",
        "bytes_per_second",
        "Network out",
        "Bytes sent",
        "gridmon_network_transmit_bytes_total",
        { chart: "net", series: "out" },
      ),
      rate(
        "rxPps",
        "per_second",
        "Packets in",
        "Packets received",
        "gridmon_network_receive_packets_total",
      ),
      rate(
        "txPps",
        "per_second",
        "Packets out",
        "Packets sent",
        "gridmon_network_transmit_packets_total",
      ),
      rate(
        "rxErrors",
        "per_second",
        "Receive errors",
        "Receive errors",
        "gridmon_network_receive_errors_total",
        { chart: "neterr", series: "rx errors" },
      ),
      rate(
        "txErrors",
        "per_second",
        "Transmit errors",
        "Transmit errors",
        "gridmon_network_transmit_errors_total",
        { chart: "neterr", series: "tx errors" },
      ),
      rate(
        "rxDrops",
        "per_second",
        "Receive drops",
        "Received packets dropped",
        "gridmon_network_receive_drops_total",
        { chart: "neterr", series: "rx drops" },
      ),
      rate(
        "txDrops",
        "per_second",
        "Transmit drops",
        "Packets dropped before sending",
        "gridmon_network_transmit_drops_total",
        { chart: "neterr", series: "tx drops" },
      ),
    ],
  },
  {
    name: "fs",
    path: "",
    device: { list: "filesystems", nameFields: ["mount"], promLabel: "mountpoint", on: "on" },
    metrics: [
      {
        field: "size",
        unit: "bytes",
        kind: "gauge",
        label: "Filesystem size",
        help: "Filesystem size",
        prom: "gridmon_filesystem_size_bytes",
      },
      {
        field: "used",
        unit: "bytes",
        kind: "gauge",
        label: "Filesystem used",
        help: "Filesystem space used",
        prom: "gridmon_filesystem_used_bytes",
      },
      {
        field: "usedPct",
        unit: pct,
        kind: "gauge",
        label: "Filesystem usage",
        help: "Filesystem space used",
        prom: "gridmon_filesystem_used_percent",
        plot: { chart: "fs" },
      },
    ],
  },
  {
    name: "temp",
    path: "",
    device: { list: "temps", nameFields: ["sensor", "label"], promLabel: "sensor", on: "at" },
    metrics: [{
      field: "celsius",
      unit: "celsius",
      kind: "gauge",
      label: "Temperature",
      help: "Temperature",
      prom: "gridmon_temperature_celsius",
      plot: { chart: "temp" },
    }],
  },
];

/** The anomaly score the store keeps beside each sample's metrics (not part of the sample). */
export const SCORE_KEY = "anomaly.score";

/** The score as a metric: label, unit and chart. */
export const SCORE_METRIC: MetricEntry = {
  field: SCORE_KEY,
  unit: "ratio",
  kind: "gauge",
  label: "Anomaly score",
  help: "Anomaly score of the newest sample, 0..1 (higher is stranger)",
  prom: "gridmon_anomaly_score",
  plot: { chart: "score", series: "score", width: 2 },
};

/** The detector's judgement of each sample as a metric: 1 anomalous, 0 not. */
export const ANOMALOUS_METRIC = {
  prom: "gridmon_anomalous",
  help: "1 when the newest sample was judged anomalous",
} as const;

/**
 * Detector features that are not one metric: their name (as in anomaly causes), label and
 * unit. A feature named `FAMILY.FIELD` of a per-device family (`net.rxBps`) is that metric
 * summed over the devices and needs no entry.
 */
export const DERIVED: Readonly<Record<string, { label: string; unit: MetricUnit }>> = {
  "mem.growth": { label: "Memory growth", unit: pct },
  "mem.swapUsedPct": { label: "Swap used", unit: pct },
  "load.perCore": { label: "Load per core", unit: "load" },
  "disk.iops": { label: "Disk operations", unit: "per_second" },
  "net.pps": { label: "Packets", unit: "per_second" },
};

/** The machine page's charts, in page order. */
export const CHARTS: readonly ChartEntry[] = [
  { id: "cpu", title: "CPU", unit: pct, range: [0, 100] },
  { id: "cores", title: "CPU per core", unit: pct, range: [0, 100], optional: true },
  { id: "mem", title: "Memory", unit: "bytes" },
  { id: "load", title: "Load average", unit: "load" },
  { id: "disk", title: "Disk I/O", unit: "bytes_per_second" },
  { id: "diskutil", title: "Disk busy", unit: pct, range: [0, 100] },
  { id: "net", title: "Network", unit: "bytes_per_second" },
  { id: "neterr", title: "Network errors and drops", unit: "per_second" },
  { id: "fs", title: "Filesystem usage", unit: pct, range: [0, 100] },
  { id: "pressure", title: "Pressure (PSI, 10 s)", unit: pct },
  { id: "temp", title: "Temperatures", unit: "celsius" },
  { id: "score", title: "Anomaly score", unit: "ratio", range: [0, 1] },
];

/**
 * Numbers the sample carries that are deliberately not series (paths as in the sample, `[]`
 * for list items): the idle share and free space follow from other metrics, the 60 s and
 * 300 s pressure averages follow the 10 s one, full CPU pressure is rarely reported, and
 * process lists are stored per scan, not per sample.
 * tests/protocol/catalogue_test.ts checks that every number of the sample schema is either a
 * metric above or listed here.
 */
export const NOT_SERIES: readonly string[] = [
  "cpu.idle",
  "mem.free",
  "filesystems[].free",
  ...longerPressure("cpu", ["some60", "some300", "full10", "full60", "full300"]),
  ...longerPressure("memory", ["some60", "some300", "full60", "full300"]),
  ...longerPressure("io", ["some60", "some300", "full60", "full300"]),
  // Rare states and the unreadable count: in the sample and the process API, not series.
  "processCounts.stopped",
  "processCounts.other",
  "processCounts.unreadable",
  // Process lists: stored apart, per scan (src/master/store/process_store.ts).
  ...["spanMs", "ioUnreadable"].map((field) => `processes.${field}`),
  ...["pid", "cpu", "rss", "readBps", "writeBps", "threads", "start"].map((f) =>
    `processes.top[].${f}`
  ),
  ...["count", "cpu", "rss", "readBps", "writeBps", "pids[]"].map((f) =>
    `processes.watched[].${f}`
  ),
];

function longerPressure(resource: string, lines: string[]): string[] {
  return lines.map((line) => `pressure.${resource}.${line}`);
}
