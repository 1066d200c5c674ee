/** Creating the directory a flag names (--data, --spool), with errors that name the flag. */
import { UsageError } from "./errors.ts";

function osMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // "No such file or directory (os error 2): mkdir '/proc/nope'" -> "No such file or directory"
  return message.replace(/\s*\(os error \d+\).*$/s, "");
}

/**
 * Creates `path` (and its parents) when missing and checks that files can be written in it.
 * Throws a UsageError naming `--flag` when it cannot: a bad directory is the user's to fix.
 */
export async function ensureWritableDir(path: string, flag: string, mode = 0o700): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true, mode });
  } catch (error) {
    throw new UsageError(`--${flag}: cannot create directory "${path}": ${osMessage(error)}`);
  }
  const probe = `${path}/.gridmon-write-test-${crypto.randomUUID()}`;
  try {
    await Deno.writeTextFile(probe, "");
  } catch (error) {
    throw new UsageError(`--${flag}: cannot write in "${path}": ${osMessage(error)}`);
  }
  await Deno.remove(probe).catch(() => {});
}
