/**
 * procfs files kept open between reads. procfs regenerates a file's text whenever it is read
 * from offset 0, so a kept file costs a seek and a read per scan where readProcFile costs an
 * open, an fstat, two reads and a close: about half the CPU (bench/collectors_bench.ts), which
 * is what a scan of every process every few seconds needs to stay cheap.
 */

/** Files kept open under keys (a pid), with a cap on how many stay open. */
export interface KeptFiles {
  /** The text of `path`: re-read through the file kept under `key`, or opened now. */
  read(key: string, path: string): string;
  /** Closes the files of every key not in `keys` (processes gone from the listing). */
  retainOnly(keys: ReadonlySet<string>): void;
  /** Files open now. */
  readonly size: number;
  closeAll(): void;
}

const CHUNK = 4096;

function readFrom(file: Deno.FsFile, buffer: Uint8Array, decoder: TextDecoder): string {
  const n = file.readSync(buffer) ?? 0;
  if (n < buffer.length) return decoder.decode(buffer.subarray(0, n));
  // Longer than one chunk (rare for the files kept): read on to the end.
  const parts = [buffer.slice(0, n)];
  for (;;) {
    const more = new Uint8Array(CHUNK);
    const got = file.readSync(more) ?? 0;
    if (got === 0) break;
    parts.push(more.subarray(0, got));
  }
  const all = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return decoder.decode(all);
}

/**
 * Keeps at most `maxOpen` files open; reads past that open and close as usual. A kept file
 * whose read fails (its process exited, and the pid may now name another one) is closed and
 * the path opened afresh, so the error, if any, is that of the current path.
 */
export function createKeptFiles(maxOpen: number): KeptFiles {
  const open = new Map<string, Deno.FsFile>();
  const buffer = new Uint8Array(CHUNK);
  const decoder = new TextDecoder();

  function drop(key: string): void {
    const file = open.get(key);
    open.delete(key);
    try {
      file?.close();
    } catch {
      // already closed
    }
  }

  return {
    read(key, path) {
      const kept = open.get(key);
      if (kept !== undefined) {
        try {
          kept.seekSync(0, Deno.SeekMode.Start);
          return readFrom(kept, buffer, decoder);
        } catch {
          drop(key);
        }
      }
      if (open.size >= maxOpen) return Deno.readTextFileSync(path);
      const file = Deno.openSync(path);
      try {
        const text = readFrom(file, buffer, decoder);
        open.set(key, file);
        return text;
      } catch (error) {
        file.close();
        throw error;
      }
    },
    retainOnly(keys) {
      for (const key of [...open.keys()]) if (!keys.has(key)) drop(key);
    },
    get size() {
      return open.size;
    },
    closeAll() {
      for (const key of [...open.keys()]) drop(key);
    },
  };
}

/**
 * How many files the worker may keep open: a quarter of its soft RLIMIT_NOFILE (from
 * `${procRoot}/self/limits`), at most 4096, so sockets and the spool always have room.
 */
export function keptFileBudget(limitsText: string | undefined): number {
  const match = limitsText === undefined ? null : /^Max open files\s+(\d+)/m.exec(limitsText);
  if (match === null) return 256;
  return Math.min(4096, Math.floor(Number(match[1]) / 4));
}
