// @ts-check
/// <reference lib="dom" />
/** The history ranges of the alerts and anomalies pages: 1h to 30d, 24h unless the route says. */
import { h } from "./dom.js";

export const RANGES = /** @type {const} */ ([
  ["1h", 3600e3],
  ["6h", 6 * 3600e3],
  ["24h", 86400e3],
  ["7d", 7 * 86400e3],
  ["30d", 30 * 86400e3],
]);

/**
 * The route's `range` if it is one of RANGES, else "24h".
 * @param {import("./router.js").Route} route
 * @returns {string}
 */
export function routeRange(route) {
  return RANGES.some(([r]) => r === route.params.get("range"))
    ? /** @type {string} */ (route.params.get("range"))
    : "24h";
}

/**
 * How long a range is in milliseconds (24 h for one it does not know).
 * @param {string} range
 */
export function rangeMs(range) {
  return RANGES.find(([r]) => r === range)?.[1] ?? 86400e3;
}

/**
 * One segment button per range, each calling `pick` with its range.
 * @param {(range: string) => void} pick
 */
export function makeRangeButtons(pick) {
  return RANGES.map(([r]) =>
    h("button", {
      type: "button",
      class: "seg",
      "data-range": r,
      text: r,
      onclick: () => pick(r),
    })
  );
}
