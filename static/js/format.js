// @ts-check
/** Number formatting with the units people read: %, KiB, MiB/s, durations, dates. */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * @param {number | null | undefined} v
 * @returns {v is number}
 */
function ok(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * 3 significant digits at most, no trailing zeros beyond one decimal.
 * @param {number} v
 */
function short(v) {
  const a = Math.abs(v);
  if (a >= 100 || Math.abs(v - Math.round(v)) < 1e-9) return v.toFixed(0);
  if (a >= 10) return String(Number(v.toFixed(1)));
  if (a >= 1) return String(Number(v.toFixed(2)));
  if (a === 0) return "0";
  return v.toPrecision(2);
}

/** @param {number | null | undefined} v */
export function fmtPct(v) {
  return ok(v) ? `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)} %` : "–";
}

/** @param {number | null | undefined} v */
export function fmtBytes(v) {
  if (!ok(v)) return "–";
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < BYTE_UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? "-" : ""}${short(x)} ${BYTE_UNITS[i]}`;
}

/** @param {number | null | undefined} v */
export function fmtBps(v) {
  return ok(v) ? `${fmtBytes(v)}/s` : "–";
}

/** @param {number | null | undefined} v */
export function fmtRate(v) {
  return ok(v) ? `${short(v)}/s` : "–";
}

/** @param {number | null | undefined} v */
export function fmtNum(v) {
  return ok(v) ? short(v) : "–";
}

/** @param {number | null | undefined} v */
export function fmtCelsius(v) {
  return ok(v) ? `${v.toFixed(1)} °C` : "–";
}

/** @param {number | null | undefined} v */
export function fmtScore(v) {
  return ok(v) ? v.toFixed(2) : "–";
}

/**
 * Seconds as "3 d 4 h", "5 h 12 min", "42 s".
 * @param {number | null | undefined} s
 */
export function fmtDuration(s) {
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

/**
 * Local date and time, to the second.
 * @param {number} ms
 */
export function fmtTime(ms) {
  const d = new Date(ms);
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}`;
}

/**
 * "12 s ago", "5 min ago".
 * @param {number} ms
 * @param {number} now
 */
export function fmtAgo(ms, now) {
  return `${fmtDuration((now - ms) / 1000)} ago`;
}

/**
 * Value for a `<input type="datetime-local">`.
 * @param {number} ms
 */
export function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/**
 * The formatter for a metric unit (see static/js/metrics.js).
 * @param {string} unit
 * @returns {(v: number | null | undefined) => string}
 */
export function formatterFor(unit) {
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
