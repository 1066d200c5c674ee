/**
 * Checks every HTTP request passes before routing and authentication:
 *
 * - a small body limit, enforced while the body is read (a declared Content-Length over it is
 *   refused without reading anything);
 * - the Host header must name this master (its addresses, its hostname, localhost, or a name
 *   given with --allowed-host), so a DNS-rebound page cannot talk to it as if same-origin;
 * - a state-changing request (POST, PUT, PATCH, DELETE) that comes from a browser must come from
 *   the master's own origin, and one with a body must say it is JSON, so a plain cross-site form
 *   or `text/plain` fetch cannot change anything (with or without --public-ui).
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { isWildcard } from "./lan_address.ts";
import { originMatchesHost } from "./origin_check.ts";

/** Largest request body accepted, in bytes (login, silences: a few hundred bytes each). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Refuses bodies over `maxBytes` with 413, counting while reading. */
export function limitBody(maxBytes = MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `request body over ${maxBytes} bytes` }, 413),
  });
}

/** The host part of a Host header, lower case, without port or IPv6 brackets. */
export function hostNameOf(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]") >>> 0);
  const colon = host.lastIndexOf(":");
  return colon >= 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

export interface HostCheckOptions {
  /** The address the master listens on. */
  bind: string;
  /** Extra names the master answers to (--allowed-host), e.g. a DNS name or a proxy's name. */
  allowedHosts?: readonly string[];
  /** The machine's addresses (default: Deno.networkInterfaces(), re-read at most every 10 s). */
  interfaces?: () => string[];
  /** The machine's hostname (default Deno.hostname()). */
  hostname?: () => string;
  now?: () => number;
}

function systemInterfaces(): string[] {
  try {
    return Deno.networkInterfaces().map((i) => i.address.toLowerCase());
  } catch {
    return [];
  }
}

function systemHostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "";
  }
}

/** Decides whether a Host header names this master. */
export function createHostCheck(
  options: HostCheckOptions,
): (header: string | undefined) => boolean {
  const now = options.now ?? Date.now;
  const interfaces = options.interfaces ?? systemInterfaces;
  const fixed = new Set<string>(["localhost", "127.0.0.1", "::1"]);
  const bind = hostNameOf(options.bind);
  if (!isWildcard(options.bind)) fixed.add(bind);
  const hostname = (options.hostname ?? systemHostname)().toLowerCase();
  if (hostname) {
    fixed.add(hostname);
    fixed.add(`${hostname}.local`);
  }
  for (const name of options.allowedHosts ?? []) fixed.add(hostNameOf(name));
  let known = new Set<string>();
  let readAt = -Infinity;
  const refresh = () => {
    readAt = now();
    known = new Set(interfaces());
  };
  return (header) => {
    if (!header) return false;
    const name = hostNameOf(header);
    if (fixed.has(name) || name.endsWith(".localhost")) return true;
    // Only the addresses of a wildcard bind are the machine's; a specific bind is in `fixed`.
    if (!isWildcard(options.bind)) return false;
    if (known.has(name)) return true;
    if (now() - readAt < 10_000) return false;
    refresh();
    return known.has(name);
  };
}

/** Refuses requests whose Host is not this master's (421), except on `exempt` paths. */
export function checkHost(
  isOurHost: (header: string | undefined) => boolean,
  log: (line: string) => void,
  exempt: (path: string) => boolean,
): MiddlewareHandler {
  let logged = 0;
  return async function hostGuard(c, next) {
    if (exempt(c.req.path) || isOurHost(c.req.header("host"))) return await next();
    const host = c.req.header("host") ?? "";
    // A rebinding page retries in a loop: log the first few refusals only.
    if (logged++ < 20) log(`refused ${c.req.method} ${c.req.path}: Host ${JSON.stringify(host)}`);
    return c.json({
      error: `Host ${
        JSON.stringify(hostNameOf(host))
      } is not a name of this master; start it with --allowed-host ${
        hostNameOf(host) || "NAME"
      } to allow it`,
    }, 421);
  };
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function hasBody(c: Context): boolean {
  const length = c.req.header("content-length");
  if (length !== undefined) return Number(length) > 0;
  return c.req.header("transfer-encoding") !== undefined;
}

/**
 * Refuses (403) a state-changing request from another origin: its Origin must equal the Host,
 * and a browser's Sec-Fetch-Site must not be cross-site. Requests without either header come
 * from scripts, not browsers, and still need a token. A body must be `application/json` (415):
 * a cross-site page cannot send that without a CORS preflight, which the master never allows.
 */
export function sameOriginWrites(): MiddlewareHandler {
  return async function sameOriginGuard(c, next) {
    if (!STATE_CHANGING.has(c.req.method)) return await next();
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if (origin !== undefined && !originMatchesHost(origin, c.req.header("host"))) {
      return c.json({ error: "cross-origin request refused: Origin does not match Host" }, 403);
    }
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      return c.json({ error: `cross-site request refused (Sec-Fetch-Site: ${site})` }, 403);
    }
    if (hasBody(c)) {
      const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (type !== "application/json") {
        return c.json({ error: "expected Content-Type: application/json" }, 415);
      }
    }
    await next();
  };
}
