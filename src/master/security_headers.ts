/** Security headers on every HTTP response. */
import type { MiddlewareHandler } from "hono";

/** The Content-Security-Policy: only our own scripts, styles and connections. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const HEADERS: [string, string][] = [
  ["Content-Security-Policy", CONTENT_SECURITY_POLICY],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
];

/** Middleware that sets the headers after the handler ran (WebSocket upgrades are left alone). */
export function securityHeaders(): MiddlewareHandler {
  return async function setSecurityHeaders(c, next) {
    await next();
    if (c.res.status === 101) return;
    for (const [name, value] of HEADERS) c.res.headers.set(name, value);
  };
}
