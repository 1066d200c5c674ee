/**
 * The master's one listening port: HTTP requests go to the Hono app through `node:http` and
 * @hono/node-server, and WebSocket upgrades go through the same app (Host check, auth, Origin
 * check), then to `ws`, which enforces frame size limits at the frame header (see ws_frames.ts).
 * Deno.serve would buffer each WebSocket frame whole, up to 64 MiB, before the master saw it.
 */
import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
// @ts-types="@types/ws"
import { WebSocketServer } from "ws";

/** The smallest frame limit of any endpoint: each connection raises its own as it may. */
export const INITIAL_FRAME_LIMIT = 32 * 1024;

/** How long a closing WebSocket waits for the peer's close frame before the socket is cut. */
const CLOSE_TIMEOUT_MS = 5_000;

export interface HttpServerOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  hostname: string;
  port: number;
  /** Answers a request whose handler threw (the app's own onError handles most). */
  onError: (error: unknown) => Response;
}

export interface RunningHttpServer {
  port: number;
  hostname: string;
  /** Stops listening and ends every connection; resolves when closed. */
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

/** A `node:net` listen error as the Deno error main.ts names the flag for. */
function denoListenError(error: Error & { code?: string }): Error {
  const cause = { cause: error };
  switch (error.code) {
    case "EADDRINUSE":
      return new Deno.errors.AddrInUse(error.message, cause);
    case "EACCES":
      return new Deno.errors.PermissionDenied(error.message, cause);
    case "EADDRNOTAVAIL":
    case "EINVAL": // Deno's node:net reports an address of no local interface so
      return new Deno.errors.AddrNotAvailable(error.message, cause);
  }
  if (error.code === "ENOTFOUND" || error.code?.startsWith("EAI_")) {
    return new Error(`failed to lookup address: ${error.message}`, cause);
  }
  return error;
}

/**
 * Listens; resolves once bound, rejects when the address cannot be bound (with Deno's error
 * classes, as Deno.serve would).
 */
export function listenHttp(options: HttpServerOptions): Promise<RunningHttpServer> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: INITIAL_FRAME_LIMIT,
    perMessageDeflate: false,
    // closeTimeout is newer than @types/ws 8.18.
    ...{ closeTimeout: CLOSE_TIMEOUT_MS },
  });
  const server = createAdaptorServer({
    fetch: async (request, env) => {
      try {
        return await options.fetch(request, env);
      } catch (error) {
        return options.onError(error);
      }
    },
    websocket: { server: wss },
  }) as Server;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  server.on("close", () => resolveFinished());
  return new Promise((resolve, reject) => {
    const refused = (error: Error) => reject(denoListenError(error));
    server.once("error", refused);
    server.listen(options.port, options.hostname, () => {
      server.off("error", refused);
      const address = server.address() as AddressInfo;
      resolve({
        port: address.port,
        hostname: address.address,
        finished,
        shutdown() {
          for (const client of wss.clients) client.terminate();
          server.close();
          server.closeAllConnections();
          return finished;
        },
      });
    });
  });
}
