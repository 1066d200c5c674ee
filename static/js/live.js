// @ts-check
/// <reference lib="dom" />
/**
 * The `/ws/live` connection: reconnects with backoff, re-sends the subscription, and reports
 * its state ("connecting", "live", "retrying") for the status line.
 */
import { backoffMs } from "./api.js";

/**
 * @typedef {{ state: "connecting" | "live" | "retrying", retryAt?: number }} LiveStatus
 * @typedef {{
 *   subscribe: (ids: string[]) => void,
 *   close: () => void,
 * }} Live
 */

/**
 * Opens the live feed.
 * @param {{ onMessage: (msg: any) => void, onStatus: (s: LiveStatus) => void, onOpen?: () => void,
 *   onUnauthorized?: () => void }} handlers
 * @returns {Live}
 */
export function openLive(handlers) {
  /** @type {WebSocket | null} */
  let ws = null;
  /** @type {string[]} */
  let subscription = [];
  let attempt = 0;
  let closed = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  function connect() {
    handlers.onStatus({ state: "connecting" });
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/live`;
    const socket = new WebSocket(url);
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      handlers.onStatus({ state: "live" });
      if (subscription.length) {
        socket.send(JSON.stringify({ type: "subscribe", machineIds: subscription }));
      }
      handlers.onOpen?.();
    };
    socket.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      handlers.onMessage(msg);
    };
    socket.onclose = () => {
      if (ws !== socket || closed) return;
      ws = null;
      retry();
    };
  }

  async function retry() {
    // A refused upgrade looks like any other failure; ask whether the session is still valid.
    try {
      const res = await fetch("/api/session", { credentials: "same-origin" });
      if (res.ok) {
        const s = await res.json();
        if (!s.authenticated && !s.publicUi) {
          handlers.onUnauthorized?.();
          return;
        }
      }
    } catch { /* master unreachable: keep retrying */ }
    const delay = backoffMs(attempt++);
    handlers.onStatus({ state: "retrying", retryAt: Date.now() + delay });
    timer = setTimeout(connect, delay);
  }

  connect();
  return {
    subscribe(ids) {
      subscription = ids.slice(0, 20);
      if (ws && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: "subscribe", machineIds: subscription }));
      }
    },
    close() {
      closed = true;
      clearTimeout(timer);
      ws?.close();
    },
  };
}
