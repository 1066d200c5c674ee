/** Which of a sample's metrics a threshold rule watches, and how it compares them. */
import { parseDeviceKey } from "../protocol/metrics.ts";
import type { AlertRule, Comparison } from "./rules.ts";

export const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
};

/** Metric keys in `values` that the rule watches, with their device names. */
export function* matchingMetrics(
  rule: AlertRule,
  values: Map<string, number>,
): Iterable<[string, string | null]> {
  const wanted = parseDeviceKey(rule.metric!);
  if (!wanted) {
    if (values.has(rule.metric!)) yield [rule.metric!, null];
    return;
  }
  if (wanted.name !== "*") {
    if (values.has(rule.metric!)) yield [rule.metric!, wanted.name];
    return;
  }
  const prefix = `${wanted.family}:`;
  const suffix = `:${wanted.field}`;
  for (const key of values.keys()) {
    if (key.startsWith(prefix) && key.endsWith(suffix)) yield [key, parseDeviceKey(key)!.name];
  }
}
