/**
 * Logged-out sessions, kept in a file of the data directory so a logout survives a restart of
 * the master. One line per revoked session: `<issued ms> <nonce>`. A line is only needed until
 * its session would have expired anyway, so loading drops older ones and rewrites the file.
 */

/** Where revoked session nonces are remembered. */
export interface RevokedSessions {
  has(nonce: string): boolean;
  add(nonce: string, issuedAt: number): void;
}

/** An in-memory list (tests, and masters without a data directory). */
export function memoryRevokedSessions(): RevokedSessions {
  const nonces = new Set<string>();
  return { has: (nonce) => nonces.has(nonce), add: (nonce) => void nonces.add(nonce) };
}

const LINE_RE = /^(\d{1,16}) ([0-9a-f]{1,64})$/;

/**
 * The list kept in `path` (mode 0600). Lines older than `maxAgeMs` at `now` are dropped; a
 * malformed line is skipped (the file is ours, but a half-written last line after a crash must
 * not stop the master).
 */
export function fileRevokedSessions(
  path: string,
  options: { maxAgeMs: number; now: number },
): RevokedSessions {
  const kept = new Map<string, number>();
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const line of text.split("\n")) {
    const match = LINE_RE.exec(line.trim());
    if (!match) continue;
    const issuedAt = Number(match[1]);
    if (options.now - issuedAt <= options.maxAgeMs) kept.set(match[2], issuedAt);
  }
  const lines = [...kept].map(([nonce, issuedAt]) => `${issuedAt} ${nonce}\n`).join("");
  if (lines !== text) {
    const tmp = `${path}.tmp`;
    Deno.writeTextFileSync(tmp, lines, { mode: 0o600 });
    Deno.renameSync(tmp, path);
  }
  return {
    has: (nonce) => kept.has(nonce),
    add(nonce, issuedAt) {
      if (kept.has(nonce) || !/^[0-9a-f]{1,64}$/.test(nonce)) return;
      Deno.writeTextFileSync(path, `${issuedAt} ${nonce}\n`, { append: true, mode: 0o600 });
      kept.set(nonce, issuedAt);
    },
  };
}
