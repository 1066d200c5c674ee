// @ts-check
/// <reference lib="dom" />
/**
 * Hash routes, so links can be shared and back/forward work:
 * `#/` (fleet), `#/machine/<id>?range=1h&from=&to=`, `#/anomalies?machine=&range=`,
 * `#/alerts?machine=&range=`.
 */

/**
 * @typedef {{ page: "fleet" | "machine" | "anomalies" | "alerts", id?: string, params: URLSearchParams }} Route
 */

/**
 * Parses a location hash.
 * @param {string} hash
 * @returns {Route}
 */
export function parseRoute(hash) {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "machine" && parts[1]) {
    return { page: "machine", id: decodeURIComponent(parts.slice(1).join("/")), params };
  }
  if (parts[0] === "anomalies") return { page: "anomalies", params };
  if (parts[0] === "alerts") return { page: "alerts", params };
  return { page: "fleet", params };
}

/**
 * Builds a hash for a page and its parameters (empty values are left out).
 * @param {string} path such as "/machine/abc"
 * @param {Record<string, string | number | null | undefined>} [params]
 */
export function routeHash(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

/**
 * The hash of a machine page.
 * @param {string} id
 * @param {Record<string, string | number | null | undefined>} [params]
 */
export function machineHash(id, params) {
  return routeHash(`/machine/${encodeURIComponent(id)}`, params);
}

/**
 * Goes to a hash: a new history entry, or (`replace`) an update of the current one, which
 * still lets the page react.
 * @param {string} hash
 * @param {{ replace?: boolean }} [opts]
 */
export function navigate(hash, opts = {}) {
  if (location.hash === hash) return;
  if (opts.replace) {
    history.replaceState(history.state, "", hash);
    dispatchEvent(new HashChangeEvent("hashchange"));
  } else location.hash = hash;
}
