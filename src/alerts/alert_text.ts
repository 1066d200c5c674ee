/**
 * What an alert says, in words: its message while firing, when it ends, and when found late.
 * Metrics and anomaly causes are worded by src/protocol/describe.ts, as everywhere else.
 */
import { formatMetric, meaningOf } from "../protocol/describe.ts";
import { fmtDuration, fmtDurationCompact } from "../units/format.ts";
import type { AlertState } from "./alert_types.ts";
import type { AlertRule } from "./rules.ts";
import { describeProcessAlert } from "./process_alert_text.ts";

/** A moment in notifications, which outlive the page they came from: `2026-11-21 06:10:03 UTC`. */
export function formatMoment(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const LATE = "found late, in data that arrived after the fact";

/** The alert's message for its current state (firing, ended, or found late). */
export function describeAlert(rule: AlertRule, state: AlertState, wall: number): string {
  const who = state.machineName;
  const ended = state.resolvedAt !== null;
  const reason = state.closeReason;
  const gone = reason === "machine offline"
    ? `${who} went offline`
    : reason === "machine removed"
    ? `${who} was removed`
    : reason === "master restarted"
    ? "the master restarted"
    : null;
  // Found late and never announced: its one notice tells the whole story, times included.
  const untold = state.foundLate && state.notifiedAt === null;
  const span = ended
    ? `from ${formatMoment(state.firedAt ?? state.since)} to ${formatMoment(state.resolvedAt!)}`
    : `since ${formatMoment(state.firedAt ?? state.since)}`;
  switch (rule.kind) {
    case "threshold": {
      const key = state.metric ?? rule.metric!;
      const { label, where } = meaningOf(key);
      const what = where ? `${label} ${where}` : label;
      const value = formatMetric(key, state.value);
      const limit = `${rule.op} ${formatMetric(key, rule.threshold)}`;
      if (untold && ended) return `${what} on ${who} was ${value} (${limit}) ${span} (${LATE})`;
      if (ended && gone) return `${what} on ${who} is no longer known: ${gone} (last ${value})`;
      if (ended) return `${what} on ${who} is back to ${value} (limit ${limit})`;
      if (state.foundLate) return `${what} on ${who} is ${value} (${limit}) ${span} (${LATE})`;
      const held = rule.forMs > 0 ? ` for ${fmtDurationCompact(rule.forMs)}` : "";
      return `${what} on ${who} is ${value} (${limit}${held})`;
    }
    case "process":
      return describeProcessAlert(rule, state, { who, ended, gone, untold, span, late: LATE });
    case "offline":
      if (reason === "expected offline") return `${who} is marked as expected to be offline`;
      if (ended && gone) return `${who} stopped being watched: ${gone}`;
      return ended
        ? `${who} is back online`
        : `${who} has been offline for ${fmtDuration((wall - state.since) / 1000)}`;
    case "anomaly": {
      const cause = state.cause ?? meaningOf(state.metric ?? "").label;
      const score = `score ${(state.value ?? 0).toFixed(2)}`;
      if (untold && ended) return `Anomaly on ${who} ${span}: ${cause} (${score}; ${LATE})`;
      if (ended && gone) return `Anomaly on ${who} closed: ${gone} (cause: ${cause})`;
      if (ended) return `Anomaly on ${who} ended (cause: ${cause})`;
      if (state.foundLate) return `Anomaly on ${who} ${span}: ${cause} (${score}; ${LATE})`;
      return `Anomaly on ${who}: ${cause} (${score})`;
    }
  }
}
