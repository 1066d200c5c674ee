/** Cross-site WebSocket hijacking guard: a browser's Origin must name the host it talks to. */

/** True when `origin` is present and its host (with port) equals the `host` header. */
export function originMatchesHost(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return url.host.toLowerCase() === host.trim().toLowerCase();
}
