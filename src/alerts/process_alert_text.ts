/** What a process alert says (rules of kind `process`, see docs/alerts.md). */
import { fmtBytes, fmtDurationCompact } from "../units/format.ts";
import type { AlertState } from "./alert_types.ts";
import type { AlertRule } from "./rules.ts";

/** What describeAlert already worked out about the alert. */
export interface AlertContext {
  who: string;
  ended: boolean;
  /** Why it is no longer known (machine offline, removed, master restarted), else null. */
  gone: string | null;
  /** Found late and never told: the one notice tells the whole story. */
  untold: boolean;
  /** `since ...` or `from ... to ...`. */
  span: string;
  late: string;
}

function figure(rule: AlertRule, value: number | null): string {
  if (value === null) return "unknown";
  return rule.condition === "memory" ? fmtBytes(value) : `${value} % CPU`;
}

/** The message of a process alert in its current state. */
export function describeProcessAlert(rule: AlertRule, state: AlertState, c: AlertContext): string {
  const name = state.device ?? rule.process!;
  const held = rule.forMs > 0 ? ` for ${fmtDurationCompact(rule.forMs)}` : "";
  if (rule.condition === "not-running") {
    if (c.untold && c.ended) return `${name} was not running on ${c.who} ${c.span} (${c.late})`;
    if (c.ended && c.gone) return `${name} on ${c.who} is no longer known: ${c.gone}`;
    if (c.ended) return `${name} is running again on ${c.who} (${state.value ?? "?"} running)`;
    if (state.foundLate) return `${name} was not running on ${c.who} ${c.span} (${c.late})`;
    return `${name} is not running on ${c.who}${held ? ` (none${held})` : ""}`;
  }
  const value = figure(rule, state.value);
  const limit = `${rule.op} ${figure(rule, rule.threshold!)}`;
  if (c.untold && c.ended) {
    return `${name} on ${c.who} used ${value} (${limit}) ${c.span} (${c.late})`;
  }
  if (c.ended && c.gone) return `${name} on ${c.who} is no longer known: ${c.gone} (last ${value})`;
  if (c.ended) return `${name} on ${c.who} is back to ${value} (limit ${limit})`;
  if (state.foundLate) return `${name} on ${c.who} used ${value} (${limit}) ${c.span} (${c.late})`;
  return `${name} on ${c.who} uses ${value} (${limit}${held})`;
}
