/**
 * Numbers in the units people read (%, KiB, MiB/s, durations, dates), for the server (alert
 * texts, notifications, API `text`) and the browser (bundled into static/gen/catalogue.js).
 * It runs in both: it imports nothing but its neighbour parse.ts.
 */
import { DURATION_UNITS } from "./parse.ts";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** A value the formatters can show: a finite number. Anything else shows as "–". */
type Maybe = number | null | undefined;

function ok(v: Maybe): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** 3 significant digits at most, no trailing zeros beyond one decimal. */
function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 100 || Math.abs(v - Math.round(v)) < 1e-9) return v.toFixed(0);
  if (a >= 10) return String(Number(v.toFixed(1)));
  if (a >= 1) return String(Number(v.toFixed(2)));
  if (a === 0) return "0";
  return v.toPrecision(2);
}

/** "42 %", "3.5 %". */
export function fmtPct(v: Maybe): string {
  return ok(v) ? `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)} %` : "–";
}

/** Binary multiples: "512 B", "1.5 KiB", "899 MiB". */
export function fmtBytes(v: Maybe): string {
  if (!ok(v)) return "–";
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < BYTE_UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? "-" : ""}${short(x)} ${BYTE_UNITS[i]}`;
}

/** "899 MiB/s". */
export function fmtBps(v: Maybe): string {
  return ok(v) ? `${fmtBytes(v)}/s` : "–";
}

/** "3.2/s". */
export function fmtRate(v: Maybe): string {
  return ok(v) ? `${short(v)}/s` : "–";
}

/** A plain number, 3 significant digits. */
export function fmtNum(v: Maybe): string {
  return ok(v) ? short(v) : "–";
}

/** "41.5 °C". */
export function fmtCelsius(v: Maybe): string {
  return ok(v) ? `${v.toFixed(1)} °C` : "–";
}

/** An anomaly score: "0.42". */
export function fmtScore(v: Maybe): string {
  return ok(v) ? v.toFixed(2) : "–";
}

/** Seconds as "3 d 4 h", "5 h 12 min", "42 s". */
export function fmtDuration(s: Maybe): string {
  if (!ok(s)) return "–";
  s = Math.max(0, Math.round(s));
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${hr} h`;
  if (hr > 0) return `${hr} h ${min} min`;
  if (min > 0) return `${min} min ${s % 60} s`;
  return `${s} s`;
}

/** Milliseconds compactly, in the largest unit that divides them: 250ms, 1s, 5m, 1h, 2d. */
export function fmtDurationCompact(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"]) {
    const size = DURATION_UNITS[unit];
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Local date and time, to the second: "2026-01-13 14:05:09". */
export function fmtTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}`;
}

/** "12 s ago", "5 min 3 s ago". */
export function fmtAgo(ms: number, now: number): string {
  return `${fmtDuration((now - ms) / 1000)} ago`;
}

/** Value for an `<input type="datetime-local">`. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/** The formatter for a metric unit (see src/protocol/catalogue.ts). */
export function formatterFor(unit: string): (v: Maybe) => string {
  switch (unit) {
    case "percent":
      return fmtPct;
    case "bytes":
      return fmtBytes;
    case "bytes_per_second":
      return fmtBps;
    case "per_second":
      return fmtRate;
    case "seconds":
      return fmtDuration;
    case "celsius":
      return fmtCelsius;
    case "ratio":
      return fmtScore;
    default:
      return fmtNum;
  }
}

/** A range in one unit, the unit said once where both ends share it: "5–14 MiB/s". */
export function fmtRange(low: Maybe, high: Maybe, format: (v: Maybe) => string): string {
  const a = format(low);
  const b = format(high);
  const space = a.lastIndexOf(" ");
  if (space > 0 && b.endsWith(a.slice(space))) return `${a.slice(0, space)}–${b}`;
  return `${a}–${b}`;
}
