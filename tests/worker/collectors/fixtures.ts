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
