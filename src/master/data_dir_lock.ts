/**
 * One master per data directory: an exclusive lock (flock) on `<data>/master.lock`, held for the
 * master's life and released by the OS when the process dies, so a crash leaves no stale lock.
 * The file says who holds it, for the error the second master prints.
 */

/** Another process holds the data directory. */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
}

/** A held lock on a data directory. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown host";
  }
}

/** Who holds the lock, from the file's text (written by `lockDataDir`). */
function describeHolder(text: string): string {
  try {
    const { pid, host, since } = JSON.parse(text) as { pid: number; host: string; since: string };
    return `gridmon master pid ${pid} on ${host} (since ${since})`;
  } catch {
    return "another process";
  }
}

/** Takes the lock or throws DataDirInUseError naming the holder. */
export function lockDataDir(dataDir: string, now: () => number = Date.now): DataDirLock {
  const path = `${dataDir}/master.lock`;
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  if (!file.tryLockSync(true)) {
    let text = "";
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      // unreadable: the holder stays unnamed
    }
    file.close();
    throw new DataDirInUseError(
      `data directory ${dataDir} is in use by ${
        describeHolder(text)
      }: stop that master first, or give this one another --data`,
    );
  }
  const holder = JSON.stringify({
    pid: Deno.pid,
    host: hostname(),
    since: new Date(now()).toISOString(),
  });
  try {
    file.truncateSync(0);
    file.writeSync(new TextEncoder().encode(`${holder}\n`));
  } catch {
    // A full disk must not stop the master: the lock itself is held either way.
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      file.close(); // closing the descriptor releases the lock
    },
  };
}
