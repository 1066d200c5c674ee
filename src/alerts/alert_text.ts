/** What an alert says, in words: its message while firing, when it ends, and when found late. */
import { parseDeviceKey } from "../protocol/metrics.ts";
import type { AlertState } from "./alert_types.ts";
import type { AlertRule } from "./rules.ts";

/** Formats a metric value for people: 97.3 %, 12.4 MiB/s ... */
export function formatValue(metric: string | null, value: number | null): string {
  if (value === null) return "n/a";
  const field = metric ? (parseDeviceKey(metric)?.field ?? metric) : "";
  if (/pct|usage|Pct|some|full/i.test(field) || field.startsWith("cpu.")) {
    return `${round(value)} %`;
  }
  if (/Bps$/.test(field)) return `${bytes(value)}/s`;
  if (/^mem\.(total|used|available|cached|buffers|swap)|^(size|used)$/.test(field)) {
    return bytes(value);
  }
  return String(round(value));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function bytes(value: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${round(v)} ${units[i]}`;
}

export function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

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
      const what = state.metric ?? rule.metric!;
      const value = formatValue(state.metric, state.value);
      const limit = `${rule.op} ${formatValue(state.metric, rule.threshold!)}`;
      if (untold && ended) return `${what} on ${who} was ${value} (${limit}) ${span} (${LATE})`;
      if (ended && gone) return `${what} on ${who} is no longer known: ${gone} (last ${value})`;
      if (ended) return `${what} on ${who} is back to ${value} (limit ${limit})`;
      if (state.foundLate) return `${what} on ${who} is ${value} (${limit}) ${span} (${LATE})`;
      const held = rule.forMs > 0 ? ` for ${describeDuration(rule.forMs)}` : "";
      return `${what} on ${who} is ${value} (${limit}${held})`;
    }
    case "offline":
      if (reason === "expected offline") return `${who} is marked as expected to be offline`;
      if (ended && gone) return `${who} stopped being watched: ${gone}`;
      return ended
        ? `${who} is back online`
        : `${who} has been offline for ${describeDuration(wall - state.since)}`;
    case "anomaly": {
      const score = `score ${(state.value ?? 0).toFixed(2)}`;
      if (untold && ended) return `Anomaly on ${who} ${span}: ${state.metric} (${score}; ${LATE})`;
      if (ended && gone) return `Anomaly on ${who} closed: ${gone} (cause: ${state.metric})`;
      if (ended) return `Anomaly on ${who} ended (cause: ${state.metric})`;
      if (state.foundLate) return `Anomaly on ${who} ${span}: ${state.metric} (${score}; ${LATE})`;
      return `Anomaly on ${who}: ${state.metric} (${score})`;
    }
  }
}
