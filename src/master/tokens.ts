/** Secrets of the master: the workers' join token and the UI access token. */
import { createHash, timingSafeEqual } from "node:crypto";

/** A new random token: 32 bytes of crypto randomness, base64url (43 characters). */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * Returns the token kept in `path`, creating it (mode 0600) with `generateToken()` on first use.
 * When `given` is set it wins and is written to the file, so the next start without it keeps it.
 * A kept token shorter than `minLength` is refused.
 */
export async function loadOrCreateToken(
  path: string,
  given?: string,
  minLength = 8,
): Promise<string> {
  if (given !== undefined) {
    // Rewritten only when it changed: a restart on a full disk must not fail here.
    if (await readSecret(path) !== given) await writeSecret(path, given);
    return given;
  }
  try {
    const text = (await Deno.readTextFile(path)).trim();
    if (text.length >= minLength) return text;
    throw new RangeError(
      `Cannot use the token in ${path}: it is shorter than ${minLength} characters (delete the file to have a new one generated)`,
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const token = generateToken();
  await writeSecret(path, token);
  return token;
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function writeSecret(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, `${text}\n`, { mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Compares a presented token with the expected one in time that does not depend on where they
 * differ (both are hashed first, so their lengths leak nothing either).
 */
export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}
