/**
 * Rules of kind `process` (docs/alerts.md): a watched process not running, or a process using
 * more CPU or memory than a limit, for a while. Each becomes a comparison of one process value
 * (process_values.ts): `process:NAME:count < 1`, `process:NAME:cpu > V`, `process:NAME:rss > V`,
 * which the engine holds and ends like a threshold rule's.
 */
import type { Comparison } from "./rules.ts";
import { processKey } from "./process_values.ts";

export const PROCESS_CONDITIONS = ["not-running", "cpu", "memory"] as const;
export type ProcessCondition = typeof PROCESS_CONDITIONS[number];

/** What a process rule says in the rules file. */
export interface ProcessRuleInput {
  process?: string;
  condition?: ProcessCondition;
  op?: Comparison;
  value?: number;
}

/** The comparison a process rule makes. */
export interface ProcessComparison {
  process: string;
  condition: ProcessCondition;
  metric: string;
  op: Comparison;
  threshold: number;
}

/**
 * Checks a process rule and turns it into its comparison; `fail(field, detail)` reports a
 * problem with the field at fault (and does not return).
 */
export function processComparison(
  r: ProcessRuleInput,
  fail: (field: string, detail: string) => never,
): ProcessComparison {
  if (r.process === undefined) fail("process", 'a process rule needs process (a name, or "*")');
  if (r.condition === undefined) {
    fail("condition", `a process rule needs condition (${PROCESS_CONDITIONS.join(", ")})`);
  }
  const process = r.process!;
  const condition = r.condition!;
  if (process !== "*" && /[*?]/.test(process)) {
    fail("process", 'a process name, or "*" for any; other patterns are not supported');
  }
  if (condition === "not-running") {
    if (process === "*") {
      fail("process", "not-running needs a name from the worker's --watch-process");
    }
    for (const field of ["op", "value"] as const) {
      if (r[field] !== undefined) fail(field, "a not-running rule takes no op or value");
    }
    return { process, condition, metric: processKey(process, "count"), op: "<", threshold: 1 };
  }
  if (r.value === undefined) {
    fail(
      "value",
      condition === "cpu"
        ? "a cpu rule needs value (percent of one core)"
        : "a memory rule needs value (bytes)",
    );
  }
  if (r.value! < 0) fail("value", "must be 0 or more");
  return {
    process,
    condition,
    metric: processKey(process, condition === "cpu" ? "cpu" : "rss"),
    op: r.op ?? ">",
    threshold: r.value!,
  };
}
