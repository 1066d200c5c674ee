/** Paths of the fixture trees under tests/fixtures. */

/** Absolute path of `tests/fixtures/<relative>`. */
export function fixture(relative: string): string {
  return decodeURIComponent(new URL(`../../fixtures/${relative}`, import.meta.url).pathname);
}

/** Reads `tests/fixtures/<relative>` as text. */
export function readFixture(relative: string): string {
  return Deno.readTextFileSync(fixture(relative));
}

/** The real kernels captured under tests/fixtures. */
export const KERNELS = ["linux-6.18", "linux-6.1"] as const;

/** The real per-process captures (tests/fixtures/README.md), each with a t0 and a t1 scan. */
export const PROCESS_KERNELS = ["procs-6.18", "procs-6.1"] as const;

/** Pid directories of one snapshot whose stat was captured (the others had exited). */
export function capturedPids(root: string): string[] {
  const pids: string[] = [];
  for (const entry of Deno.readDirSync(fixture(`${root}/proc`))) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      Deno.statSync(fixture(`${root}/proc/${entry.name}/stat`));
      pids.push(entry.name);
    } catch {
      // exited between the listing and its stat
    }
  }
  return pids;
}
