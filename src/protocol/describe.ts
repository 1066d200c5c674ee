/**
 * The one place that words a metric value or an anomaly cause: the catalogue's label, the value
 * in its unit, the device. "Network in 899 MiB/s on eth0 (usually 5–14 MiB/s)". Used by the UI,
 * alerts, notifications and the API's `text` fields, so they all say the same thing.
 */
import { DERIVED, type MetricUnit } from "./catalogue.ts";
import { DEVICE_METRICS, deviceLabel, metricOf, parseDeviceKey } from "./metrics.ts";
import { fmtRange, formatterFor } from "../units/format.ts";

/** What a key (series key, alert metric or detector feature name) means. */
export interface MetricMeaning {
  label: string;
  unit: MetricUnit;
  /** "on eth0", "on core 3", "at coretemp/Core 0"; "" for a scalar or a whole family. */
  where: string;
}

/**
 * The meaning of `key`: a series key (`net:eth0:rxBps`, `cpu.usage`), an alert metric with a
 * device pattern (`fs:*:usedPct`), a detector feature (`net.rxBps`: all interfaces summed;
 * `load.perCore`). Unknown keys keep their name as label.
 */
export function meaningOf(key: string): MetricMeaning {
  const metric = metricOf(key);
  if (metric) {
    const device = parseDeviceKey(key);
    const named = device && device.name !== "*" && metric.device;
    return {
      label: metric.label,
      unit: metric.unit,
      where: named ? `${metric.device!.on} ${deviceLabel(metric.device!, device.name)}` : "",
    };
  }
  const derived = DERIVED[key];
  if (derived) return { ...derived, where: "" };
  const dot = key.indexOf(".");
  const summed = dot > 0 ? DEVICE_METRICS[key.slice(0, dot)] : undefined;
  const field = summed?.find((m) => m.key === key.slice(dot + 1));
  if (field) return { label: field.label, unit: field.unit, where: "" };
  return { label: key, unit: "count", where: "" };
}

/** The value of `key` in its unit: "899 MiB/s", "93 %". */
export function formatMetric(key: string, value: number | null | undefined): string {
  return formatterFor(meaningOf(key).unit)(value);
}

/** "Network in 899 MiB/s on eth0". */
export function describeValue(key: string, value: number | null | undefined): string {
  const { label, unit, where } = meaningOf(key);
  return [label, formatterFor(unit)(value), where].filter((part) => part !== "").join(" ");
}

/** An anomaly cause as the detector stores it. */
export interface CauseLike {
  metric: string;
  value: number;
  normalLow: number;
  normalHigh: number;
}

/** "Network in 899 MiB/s on eth0 (usually 5–14 MiB/s)". */
export function describeCause(cause: CauseLike): string {
  const format = formatterFor(meaningOf(cause.metric).unit);
  const usual = fmtRange(cause.normalLow, cause.normalHigh, format);
  return `${describeValue(cause.metric, cause.value)} (usually ${usual})`;
}
