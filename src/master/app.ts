/**
 * The master's Hono app: security headers, auth, the HTTP API, /metrics, and the two WebSocket
 * endpoints. The UI engineer's routes are mounted last through `mountUi`.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { upgradeWebSocket } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { registerAlertRoutes } from "../alerts/routes.ts";
import type { AlertService } from "../alerts/service.ts";
import { GRIDMON_VERSION } from "../version.ts";
import { registerApiRoutes } from "./api_routes.ts";
import { createAddressLimiter } from "./address_limiter.ts";
import { registerProcessRoutes } from "./process_routes.ts";
import { renderProcessMetrics } from "./process_metrics.ts";
import type { FleetState } from "./fleet_state.ts";
import { HandshakeGate, type HandshakeGateOptions } from "./handshake_gate.ts";
import type { IngestHub } from "./ingest_hub.ts";
import type { IngestStats } from "./ingest_stats.ts";
import type { LiveFeed } from "./live_feed.ts";
import type { MachineAdmin } from "./machine_admin.ts";
import { registerMachineRoutes } from "./machine_routes.ts";
import { originMatchesHost } from "./origin_check.ts";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from "./prometheus.ts";
import { BadRequestError } from "./query_params.ts";
import { checkHost, createHostCheck, limitBody, sameOriginWrites } from "./request_guards.ts";
import { securityHeaders } from "./security_headers.ts";
import type { Store } from "./store/store_types.ts";
import type { ExportStats } from "./export/exporter.ts";
import { SESSION_COOKIE, SESSION_MAX_AGE_S, type UiAuth } from "./ui_auth.ts";
import { acceptWorkerConnection, MAX_HELLO_BYTES } from "./worker_connection.ts";
import { keepAlive, onOversizedFrame, setFrameLimit } from "./ws_frames.ts";
import { LIVE_BAD_MESSAGE, MAX_CLIENT_MESSAGE } from "./live_feed.ts";
// @ts-types="@types/ws"
import type { WebSocket as NodeWebSocket } from "ws";

/** What the UI routes get: the app and a way to tell whether a request is logged in. */
export interface UiMount {
  isAuthenticated(c: Context): boolean;
  publicUi: boolean;
  /** The `gridmon worker ...` command with the join token; absent with --public-ui. */
  joinCommand?: () => string;
}

/** Mounts the UI (pages, static assets, the login page) on the app. */
export type MountUi = (app: Hono, ui: UiMount) => void;

export interface AppDeps {
  store: Store;
  fleet: FleetState;
  hub: IngestHub;
  live: LiveFeed;
  auth: UiAuth;
  stats: IngestStats;
  joinToken: string;
  log: (line: string) => void;
  now: () => number;
  startedAt: number;
  handshakeTimeoutMs?: number;
  /** Admission of worker connections waiting for their hello (see handshake_gate.ts). */
  handshakes?: HandshakeGateOptions;
  mountUi?: MountUi;
  /** The `gridmon worker ...` command offered to logged-in UI users (never with --public-ui). */
  joinCommand?: () => string;
  /** Serves /api/alerts* when given. */
  alerts?: AlertService;
  /** p99 and max event-loop lag of the last minute, in ms (for /healthz). */
  eventLoopLag?: () => { p99: number; max: number };
  /** Removes machines and marks them as expected to be offline (DELETE/PUT /api/machines/...). */
  admin: MachineAdmin;
  /** The listen address, and extra names the Host header may carry (see request_guards.ts). */
  bind: string;
  allowedHosts?: readonly string[];
  /** The remote export's queues and counters, for /metrics. */
  exportStats?: () => ExportStats;
}

/** The peer's address and port, for log lines, and its address alone, for per-address limits. */
function peerOf(c: Context): { peer: string; address: string } {
  try {
    const { remote } = getConnInfo(c);
    if (remote.address) {
      return { peer: `${remote.address}:${remote.port}`, address: remote.address };
    }
  } catch {
    // not served by the master's server (app.request in tests)
  }
  return { peer: "unknown peer", address: "unknown" };
}

/** Wrong access tokens one address may present in a burst, and how fast it earns one back. */
export const TOKEN_GUESSES = { burst: 10, perSecond: 0.2 };

/** Builds the app; serve it with `listenHttp` (http_server.ts), which also carries its WebSockets. */
export function createApp(deps: AppDeps): Hono {
  const { auth, fleet, hub, live, stats, log, now } = deps;
  const gate = new HandshakeGate(deps.handshakes);
  const guesses = createAddressLimiter(TOKEN_GUESSES);
  const blockedLogged = new Set<string>();
  /** 429 for an address out of guesses (logged once per episode), else undefined. */
  const overGuessBudget = (c: Context, address: string) => {
    const t = now();
    if (guesses.allows(address, t)) {
      blockedLogged.delete(address);
      return undefined;
    }
    if (!blockedLogged.has(address)) {
      if (blockedLogged.size > 10_000) blockedLogged.clear();
      blockedLogged.add(address);
      log(`${address}: too many wrong access tokens; refusing its attempts for a while`);
    }
    const retry = guesses.retryAfterS(address, t);
    c.header("Retry-After", String(retry));
    return c.json({ error: `too many wrong access tokens; retry in ${retry} s` }, 429);
  };
  const wrongToken = (c: Context, address: string) => {
    guesses.fail(address, now());
    log(`${c.req.method} ${c.req.path} from ${address}: wrong access token`);
  };
  /** Auth for /api/*, /metrics and /ws/live: wrong bearer tokens count against the address. */
  const requireAuth = async (c: Context, next: () => Promise<void>) => {
    const bearer = c.req.header("authorization") !== undefined;
    const { address } = peerOf(c);
    if (bearer && !auth.publicUi) {
      const refused = overGuessBudget(c, address);
      if (refused) return refused;
    }
    if (!auth.isAuthenticated(c)) {
      if (bearer) wrongToken(c, address);
      return c.json({ error: "not logged in" }, 401);
    }
    await next();
  };
  const app = new Hono();
  app.use("*", securityHeaders());
  // Workers dial whatever name they were given and prove themselves with the join token; every
  // other endpoint is for browsers and scripts and must be reached under one of our names.
  app.use(
    "*",
    checkHost(
      createHostCheck({ bind: deps.bind, allowedHosts: deps.allowedHosts, now }),
      log,
      (path) => path === "/ws/worker",
    ),
  );
  app.use("*", limitBody());
  app.use("*", sameOriginWrites());

  app.onError((error, c) => {
    if (error instanceof BadRequestError) return c.json({ error: error.message }, 400);
    log(`${c.req.method} ${c.req.path} failed: ${error.stack ?? error}`);
    return c.json({ error: "internal error" }, 500);
  });

  app.get("/healthz", (c) => {
    const machines = fleet.all();
    const storage = hub.storageProblem;
    return c.json({
      status: storage ? "degraded" : "ok",
      version: GRIDMON_VERSION,
      uptimeS: Math.floor((now() - deps.startedAt) / 1000),
      machines: machines.length,
      online: machines.filter((m) => m.online).length,
      ...(deps.eventLoopLag && { eventLoopLagMs: deps.eventLoopLag() }),
      ...(storage && {
        problems: [
          `storage failing since ${new Date(storage.since).toISOString()}: ${storage.error}; ` +
          "ingest refused until a write succeeds again (retried every few seconds); " +
          "the UI and the API still answer from what is stored",
        ],
      }),
    }, storage ? 503 : 200);
  });

  app.get(
    "/api/session",
    (c) => c.json({ authenticated: auth.isAuthenticated(c), publicUi: auth.publicUi }),
  );

  app.post("/api/login", async (c) => {
    const { address } = peerOf(c);
    const refused = overGuessBudget(c, address);
    if (refused) return refused;
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'expected a JSON body {"token": "..."}' }, 400);
    }
    const token = (body as { token?: unknown } | null)?.token;
    if (typeof token !== "string" || !auth.checkToken(token)) {
      wrongToken(c, address);
      return c.json({ error: "wrong access token" }, 401);
    }
    setCookie(c, SESSION_COOKIE, auth.issueSession(), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_MAX_AGE_S,
      secure: new URL(c.req.url).protocol === "https:",
    });
    return c.body(null, 204);
  });

  app.post("/api/logout", (c) => {
    const value = deleteCookie(c, SESSION_COOKIE, { path: "/" });
    if (value) auth.revokeSession(value);
    return c.body(null, 204);
  });

  app.use("/api/*", requireAuth);
  // API answers go out uncompressed: gzip of the fleet's 1.9 MB /api/machines costs 11 ms even
  // at level 1 (CompressionStream: 18 ms), five times the time to build it, and the UI fetches
  // it once, then follows /ws/live. The UI's own assets are served compressed.
  app.use("/metrics", requireAuth);

  registerApiRoutes(app, { store: deps.store, fleet, now });
  registerProcessRoutes(app, { store: deps.store, fleet, now });
  registerMachineRoutes(app, { admin: deps.admin, store: deps.store, now });
  if (deps.alerts) registerAlertRoutes(app, deps.alerts, now);

  app.get("/metrics", (c) => {
    const text = renderMetrics(fleet, stats, {
      workerConnections: hub.sessionCount,
      liveClients: live.clientCount,
      liveClientsDropped: live.droppedSlow,
      export: deps.exportStats?.(),
      devicesRefused: hub.devicesRefused,
    }) + renderProcessMetrics(fleet, deps.store);
    return c.body(text, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });

  app.get(
    "/ws/worker",
    upgradeWebSocket((c) => {
      const { peer, address } = peerOf(c);
      let connection: ReturnType<typeof acceptWorkerConnection> | undefined;
      return {
        onOpen(_event, ws) {
          const raw = ws.raw as NodeWebSocket;
          setFrameLimit(raw, MAX_HELLO_BYTES);
          connection = acceptWorkerConnection({
            send: (text) => raw.send(text),
            close: (code, reason) => raw.close(code, reason),
            allowFrames: (bytes) => setFrameLimit(raw, bytes),
          }, {
            hub,
            stats,
            joinToken: deps.joinToken,
            log,
            peer,
            address,
            handshakeTimeoutMs: deps.handshakeTimeoutMs,
            gate,
            now,
          });
          onOversizedFrame(raw, (limit) => connection?.onOversized(limit));
          // A dead peer is noticed within a minute.
          keepAlive(raw, 30_000, () => {});
        },
        onMessage(event) {
          connection?.onMessage(event.data);
        },
        onClose() {
          connection?.onClose();
        },
      };
    }),
  );
  app.get("/ws/worker", (c) => c.json({ error: "expected a WebSocket upgrade" }, 426));

  app.use("/ws/live", async (c, next) => {
    if (!originMatchesHost(c.req.header("origin"), c.req.header("host"))) {
      return c.json({ error: "Origin does not match Host" }, 403);
    }
    return await requireAuth(c, next);
  });
  app.get(
    "/ws/live",
    upgradeWebSocket(() => {
      let client: ReturnType<LiveFeed["accept"]> | undefined;
      return {
        onOpen(_event, ws) {
          const raw = ws.raw as NodeWebSocket;
          setFrameLimit(raw, MAX_CLIENT_MESSAGE);
          onOversizedFrame(
            raw,
            () => raw.close(LIVE_BAD_MESSAGE, "messages must be small JSON text"),
          );
          client = live.accept({
            send: (text) => raw.send(text),
            close: (code, reason) => raw.close(code, reason),
            get bufferedAmount() {
              return raw.bufferedAmount;
            },
          });
          // A client that stops answering pings is dropped within 20 s and counted.
          keepAlive(raw, 10_000, () => live.unresponsive());
        },
        onMessage(event) {
          client?.onMessage(event.data);
        },
        onClose() {
          client?.onClose();
        },
      };
    }),
  );
  app.get("/ws/live", (c) => c.json({ error: "expected a WebSocket upgrade" }, 426));

  deps.mountUi?.(app, {
    isAuthenticated: (c) => auth.isAuthenticated(c),
    publicUi: auth.publicUi,
    joinCommand: auth.publicUi ? undefined : deps.joinCommand,
  });
  app.all("/api/*", (c) => c.json({ error: "no such endpoint" }, 404));
  return app;
}
