/** A stable machine id: the system's, else one generated once and kept in the state dir. */

/** Accepts the text of a machine-id file: 32 hex digits, or a UUID we wrote ourselves. */
export function parseMachineId(text: string): string | undefined {
  const id = text.trim().toLowerCase();
  if (/^[0-9a-f]{32}$/.test(id)) return id;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return id;
  return undefined; // empty, "uninitialized" (early boot), or garbage
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      return undefined;
    }
    throw error;
  }
}

/** Where to look for a machine id, in order, and where to keep a generated one. */
export interface MachineIdSources {
  /** System files, e.g. /etc/machine-id then /var/lib/dbus/machine-id. */
  systemFiles: string[];
  stateDir: string;
  /** An id chosen by the user (`--machine-id`); wins over everything else. */
  given?: string;
}

/** The system machine id paths on Linux. */
export const SYSTEM_MACHINE_ID_FILES = ["/etc/machine-id", "/var/lib/dbus/machine-id"];

/**
 * The `given` id, else the first valid id among `systemFiles`, else `stateDir/machine-id`, else a new
 * `crypto.randomUUID()` written there (atomically, so a crash never leaves half an id).
 */
export async function readMachineId(sources: MachineIdSources): Promise<string> {
  if (sources.given !== undefined) return sources.given;
  for (const path of sources.systemFiles) {
    const text = await readOptional(path);
    const id = text === undefined ? undefined : parseMachineId(text);
    if (id !== undefined) return id;
  }
  const keptPath = `${sources.stateDir}/machine-id`;
  const kept = await readOptional(keptPath);
  if (kept !== undefined) {
    const id = parseMachineId(kept);
    if (id !== undefined) return id;
    throw new RangeError(
      `Cannot use ${keptPath}: "${kept.trim().slice(0, 40)}" is not a machine id`,
    );
  }
  const id = crypto.randomUUID();
  await Deno.mkdir(sources.stateDir, { recursive: true });
  const temp = `${keptPath}.${id}.tmp`;
  await Deno.writeTextFile(temp, `${id}\n`);
  await Deno.rename(temp, keptPath);
  return id;
}
