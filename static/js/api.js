// @ts-check
/// <reference lib="dom" />
/** Calls to the master's HTTP API (docs/api.md), with errors people can act on. */

/** An API call that failed; `kind` tells the page what to say. */
export class ApiError extends Error {
  /**
   * @param {"network" | "auth" | "http"} kind
   * @param {string} message
   * @param {number} [status]
   */
  constructor(kind, message, status) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

/** Sends the visitor to the login page, coming back here afterwards. */
export function goToLogin() {
  location.assign(`/login${location.hash.startsWith("#/") ? location.hash : ""}`);
}

/**
 * GETs JSON. A 401 sends the visitor to the login page.
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export function getJson(path, signal) {
  return requestJson("GET", path, undefined, signal);
}

/**
 * Sends a request with an optional JSON body and reads the JSON answer. A 401 sends the visitor
 * to the login page; an error answer becomes an ApiError with the master's own words.
 * @param {"GET" | "PUT" | "POST" | "DELETE"} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function requestJson(method, path, body, signal) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      signal,
      headers: body === undefined
        ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError("network", "The master does not answer. Is it running and reachable?");
  }
  if (res.status === 401) {
    goToLogin();
    throw new ApiError("auth", "Your session has ended; log in again.", 401);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") message = body.error;
    } catch { /* not JSON */ }
    throw new ApiError("http", message, res.status);
  }
  return await res.json();
}

/**
 * Delay before retry number `attempt` (0-based): 1 s doubling to 30 s, with jitter.
 * @param {number} attempt
 */
export function backoffMs(attempt) {
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * Query string from an object, leaving out empty values.
 * @param {Record<string, string | number | undefined | null>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  return q.toString();
}
