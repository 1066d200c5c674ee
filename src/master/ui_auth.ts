/**
 * UI and API access: the access token (from <data>/ui-token) as `Authorization: Bearer`, or a
 * session cookie the login endpoint sets.
 *
 * The cookie is `v1.<issued ms>.<nonce>.<HMAC-SHA256(access token, "v1.<issued>.<nonce>")>`: it
 * needs no server-side table, so sessions survive a master restart; it expires after 30 days;
 * changing the access token invalidates every session; logout revokes its nonce in a list that
 * outlives the process (src/master/revoked_sessions.ts).
 * The token itself never goes into the cookie.
 */
import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { memoryRevokedSessions, type RevokedSessions } from "./revoked_sessions.ts";
import { tokensEqual } from "./tokens.ts";

export const SESSION_COOKIE = "gridmon_session";
/** How long a login lasts. */
export const SESSION_MAX_AGE_S = 30 * 86_400;

export interface UiAuth {
  readonly publicUi: boolean;
  /** True when the request may use the API: public UI, a valid bearer token or session cookie. */
  isAuthenticated(c: Context): boolean;
  /** True for a valid access token (constant time). */
  checkToken(token: string): boolean;
  /** A new session cookie value. */
  issueSession(): string;
  /** Revokes a session cookie value (logout). */
  revokeSession(value: string): void;
}

export interface UiAuthOptions {
  accessToken: string;
  publicUi: boolean;
  now?: () => number;
  /** Where logouts are remembered (default: in memory only). */
  revoked?: RevokedSessions;
}

function mac(key: string, payload: string): string {
  return createHmac("sha256", key).update(payload).digest("base64url");
}

/** Creates the UI auth for one access token. */
export function createUiAuth(options: UiAuthOptions): UiAuth {
  const { accessToken, publicUi } = options;
  const now = options.now ?? Date.now;
  const revoked = options.revoked ?? memoryRevokedSessions();

  function validSession(value: string | undefined): boolean {
    if (!value || value.length > 200) return false;
    const parts = value.split(".");
    if (parts.length !== 4 || parts[0] !== "v1") return false;
    const [, issued, nonce, signature] = parts;
    const issuedAt = Number(issued);
    if (!Number.isSafeInteger(issuedAt)) return false;
    const age = now() - issuedAt;
    if (age < -60_000 || age > SESSION_MAX_AGE_S * 1000) return false;
    if (revoked.has(nonce)) return false;
    return tokensEqual(signature, mac(accessToken, `v1.${issued}.${nonce}`));
  }

  function checkToken(token: string): boolean {
    return token.length > 0 && token.length <= 1024 && tokensEqual(token, accessToken);
  }

  return {
    publicUi,
    checkToken,
    isAuthenticated(c: Context): boolean {
      if (publicUi) return true;
      const header = c.req.header("authorization");
      if (header !== undefined) {
        const match = /^Bearer +(\S+)\s*$/i.exec(header);
        if (match && checkToken(match[1])) return true;
      }
      return validSession(getCookie(c, SESSION_COOKIE));
    },
    issueSession(): string {
      const issued = String(now());
      const nonce = crypto.getRandomValues(new Uint8Array(16)).reduce(
        (s, b) => s + b.toString(16).padStart(2, "0"),
        "",
      );
      return `v1.${issued}.${nonce}.${mac(accessToken, `v1.${issued}.${nonce}`)}`;
    },
    revokeSession(value: string): void {
      const nonce = value.split(".")[2];
      if (nonce && validSession(value)) revoked.add(nonce, Number(value.split(".")[1]));
    },
  };
}
