/** Filesystem size and use per real mount, with statfs under a timeout, refreshed every few seconds. */
import { statfs } from "node:fs/promises";
import type { FilesystemMetrics } from "../../protocol/sample.ts";
import { type Clock, type Collector, monotonicNow, type SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";
import type { FailureLog } from "./failure_log.ts";
import { type MountEntry, parseMountinfo, selectMounts } from "./mountinfo.ts";

/** The statfs fields used, in blocks of `bsize` bytes. */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/** A statfs call: node:fs/promises statfs in production, anything slow or failing in tests. */
export type StatfsFunction = (path: string) => Promise<FsStats>;

/** How long one mount may take to answer statfs before the sample goes out without it. */
export const STATFS_TIMEOUT_MS = 300;

/**
 * How often mounts are listed and statfs-ed. Filesystems fill slowly; statfs of every mount every
 * second was the worker's largest single CPU cost, so samples in between repeat the last values.
 */
export const FILESYSTEM_REFRESH_MS = 15_000;

/**
 * Sizes like df: `used` = blocks - free blocks, `free` = blocks available to unprivileged
 * users, and used % = used / (used + available), so reserved blocks count as neither.
 */
export function filesystemMetrics(mount: MountEntry, stats: FsStats): FilesystemMetrics {
  const size = stats.blocks * stats.bsize;
  const used = Math.max(0, stats.blocks - stats.bfree) * stats.bsize;
  const free = Math.min(stats.bavail, stats.blocks) * stats.bsize;
  const usable = used + free;
  return {
    mount: mount.mountPoint,
    fstype: mount.fstype,
    device: mount.source,
    size,
    used,
    free,
    usedPct: usable > 0 ? Math.min(100, (used / usable) * 100) : 0,
  };
}

/** Options of the filesystem collector. */
export interface FilesystemCollectorOptions {
  procRoot: string;
  /** Per-mount trouble (timeouts, permission) goes here, once per mount and message. */
  failures: FailureLog;
  statfs?: StatfsFunction;
  timeoutMs?: number;
  /** Least time between two refreshes (default FILESYSTEM_REFRESH_MS; 0: every call). */
  refreshMs?: number;
  clock?: Clock;
}

function readAllowed(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state === "granted";
}

/**
 * Reads `${procRoot}/self/mountinfo` and statfs-es each selected mount in parallel, at most once
 * per `refreshMs`; calls in between answer the last refresh's values. A mount
 * that does not answer within the timeout (a hung NFS server) is left out of that sample and
 * logged once; it is not asked again until its pending statfs settles, so hung calls never
 * pile up. A mount the process may not read is left out and logged once.
 */
export function createFilesystemCollector(options: FilesystemCollectorOptions): Collector {
  const call = options.statfs ?? ((path: string) => statfs(path));
  const timeoutMs = options.timeoutMs ?? STATFS_TIMEOUT_MS;
  const refreshMs = options.refreshMs ?? FILESYSTEM_REFRESH_MS;
  const clock = options.clock ?? monotonicNow;
  let last: FilesystemMetrics[] | undefined;
  let lastAt = 0;
  const pending = new Map<string, Promise<unknown>>();

  async function measure(mount: MountEntry): Promise<FilesystemMetrics | undefined> {
    const source = `filesystems ${mount.mountPoint}`;
    if (options.statfs === undefined && !readAllowed(mount.mountPoint)) {
      options.failures.failed(source, "no read permission");
      return undefined;
    }
    if (pending.has(mount.mountPoint)) {
      options.failures.failed(source, `statfs still hanging`);
      return undefined;
    }
    const request = call(mount.mountPoint);
    pending.set(mount.mountPoint, request);
    request.then(
      () => pending.delete(mount.mountPoint),
      () => pending.delete(mount.mountPoint),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const result = await Promise.race([request, timeout]);
      if (result === "timeout") {
        options.failures.failed(source, `statfs took over ${timeoutMs} ms`);
        return undefined;
      }
      options.failures.succeeded(source);
      return filesystemMetrics(mount, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.failures.failed(source, `statfs failed: ${message}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: "filesystems",
    collect(): SampleMetrics | Promise<SampleMetrics> {
      const now = clock();
      // Between refreshes the answer is synchronous: no promise, no deadline timer.
      if (last !== undefined && now - lastAt < refreshMs) return { filesystems: last };
      return refresh(now);
    },
  };

  async function refresh(now: number): Promise<SampleMetrics> {
    const text = readProcFile(`${options.procRoot}/self/mountinfo`);
    const mounts = selectMounts(parseMountinfo(text));
    const results = await Promise.all(mounts.map(measure));
    last = results.filter((fs) => fs !== undefined);
    lastAt = now;
    return { filesystems: last };
  }
}
