/** The address to print in the Dashboard URL and the worker command. */

/** True for the wildcard addresses (listen on every interface). */
export function isWildcard(bind: string): boolean {
  return bind === "0.0.0.0" || bind === "::" || bind === "[::]";
}

/** First non-internal, non-link-local IPv4 address among `interfaces`, if any. */
export function pickLanAddress(interfaces: Deno.NetworkInterfaceInfo[]): string | undefined {
  const candidates = interfaces.filter((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.") && !i.address.startsWith("169.254.")
  );
  return candidates[0]?.address;
}

/**
 * The host part others should use: the bind address itself, or when bound to every interface a
 * LAN address (localhost when none can be found). IPv6 addresses come in brackets.
 */
export function advertisedHost(bind: string): string {
  let host = bind;
  if (isWildcard(bind)) {
    let lan: string | undefined;
    try {
      lan = pickLanAddress(Deno.networkInterfaces());
    } catch {
      lan = undefined; // no permission or not supported
    }
    host = lan ?? "localhost";
  }
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
