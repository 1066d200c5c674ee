/**
 * Routes of the web UI: `/` (the app, or the login page when the visitor has no session),
 * `/login`, `/assets/<build>/*` (immutable, compressed) and `GET /api/join` (the worker command
 * shown on an empty fleet).
 */
import type { Context, Env, Hono } from "hono";
import {
  ASSET_PREFIX,
  encodedBody,
  INDEX_PAGE,
  LOGIN_PAGE,
  pickEncoding,
  UI_ASSETS,
  type UiAsset,
} from "./ui_assets.ts";

/** The Content-Security-Policy of every UI page. */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** What the master tells the UI routes. */
export interface UiRouteOptions<E extends Env> {
  /** True when the request carries a valid session (cookie or bearer token). */
  isAuthenticated: (c: Context<E>) => boolean | Promise<boolean>;
  /** The UI is open to anyone who can reach the port (`--public-ui`). */
  publicUi: boolean;
  /**
   * The exact `gridmon worker ...` command (with the join token) that adds a machine, shown to
   * authenticated users while the fleet is empty. `GET /api/join` answers 404 without it.
   */
  joinCommand?: (c: Context<E>) => string | Promise<string>;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}

/** Sends an asset with its ETag, the best encoding the client accepts, and cache headers. */
function sendAsset<E extends Env>(c: Context<E>, asset: UiAsset, cacheControl: string): Response {
  const encoding = asset.body.length > 512
    ? pickEncoding(c.req.header("accept-encoding"))
    : undefined;
  const etag = `"${asset.hash}${encoding ? `-${encoding}` : ""}"`;
  const headers: Record<string, string> = {
    "Content-Type": asset.contentType,
    "Cache-Control": cacheControl,
    "ETag": etag,
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  };
  if (asset.contentType.startsWith("text/html")) {
    headers["Content-Security-Policy"] = UI_CSP;
    headers["Referrer-Policy"] = "no-referrer";
    headers["X-Frame-Options"] = "DENY";
  }
  if (etagMatches(c.req.header("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  if (c.req.method === "HEAD") return new Response(null, { status: 200, headers });
  if (encoding) headers["Content-Encoding"] = encoding;
  const body = encoding ? encodedBody(asset, encoding) : asset.body;
  return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers });
}

/** Mounts the UI's routes on `app`. Call it before any catch-all route. */
export function registerUiRoutes<E extends Env>(app: Hono<E>, options: UiRouteOptions<E>): void {
  const allowed = async (c: Context<E>) => options.publicUi || await options.isAuthenticated(c);

  app.get("/", async (c) => sendAsset(c, (await allowed(c)) ? INDEX_PAGE : LOGIN_PAGE, "no-cache"));
  app.get("/index.html", (c) => c.redirect("/", 301));
  app.get("/login", (c) => sendAsset(c, LOGIN_PAGE, "no-cache"));

  app.get("/assets/:build/*", (c) => {
    const build = c.req.param("build");
    const path = c.req.path.slice(`/assets/${build}/`.length);
    const asset = UI_ASSETS.get(path);
    if (!asset) return c.json({ error: "no such asset" }, 404);
    // An old build id (a page loaded before an upgrade) still gets today's file, uncached.
    const current = `/assets/${build}/` === ASSET_PREFIX;
    return sendAsset(c, asset, current ? IMMUTABLE : "no-cache");
  });

  app.get("/api/join", async (c) => {
    if (!(await options.isAuthenticated(c)) && !options.publicUi) {
      return c.json({ error: "log in first" }, 401);
    }
    if (!options.joinCommand) {
      return c.json({ error: "this master does not share its join command" }, 404);
    }
    c.header("Cache-Control", "no-store");
    return c.json({ command: await options.joinCommand(c) });
  });
}
