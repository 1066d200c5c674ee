/** Reading procfs files. */

/**
 * Reads a procfs file synchronously. procfs text is generated in memory by the kernel and never
 * waits on a device, so blocking is harmless, and a synchronous read costs about a sixth of an
 * asynchronous one (no thread-pool round trip): it matters at one sample per second. Files that
 * can wait on hardware (hwmon sensors, statfs of a mount) are read asynchronously elsewhere.
 */
export function readProcFile(path: string): string {
  return Deno.readTextFileSync(path);
}
