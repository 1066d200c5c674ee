/** Host facts for the worker's hello: Linux reads procfs, other platforms ask Deno and node:os. */
import { cpus, release, version } from "node:os";
import type { HostInfo } from "../host_info.ts";
import { parseMeminfo } from "../collectors/memory.ts";
import { parseProcStat } from "../collectors/cpu.ts";
import { readProcFile } from "../collectors/proc_file.ts";
import { type MachineIdSources, readMachineId } from "./machine_id.ts";
import { osName, parseOsRelease } from "./os_release.ts";

/** Where host facts come from. */
export interface HostInfoSources {
  /** Deno.build.os unless a test says otherwise. */
  os: string;
  procRoot: string;
  /** os-release files in order of preference (/etc/os-release, /usr/lib/os-release). */
  osReleaseFiles: string[];
  machineId: MachineIdSources;
}

async function firstReadable(paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    try {
      return await Deno.readTextFile(path);
    } catch {
      // missing or not permitted: try the next one
    }
  }
  return undefined;
}

/** Counts the cpuN lines of /proc/stat: the online logical cores. */
function onlineCores(statText: string): number {
  return parseProcStat(statText).cores.filter((core) => core !== undefined).length;
}

/**
 * The current hostname: procfs on Linux (follows renames), Deno.hostname() elsewhere. Synchronous
 * because it is read for every sample and procfs never waits (see readProcFile).
 */
export function currentHostname(os: string, procRoot: string): string {
  if (os === "linux") {
    try {
      const text = readProcFile(`${procRoot}/sys/kernel/hostname`).trim();
      if (text) return text;
    } catch {
      // missing or not permitted: ask Deno
    }
  }
  return Deno.hostname();
}

/** currentHostname() as a promise. */
export function readHostname(os: string, procRoot: string): Promise<string> {
  return Promise.resolve(currentHostname(os, procRoot));
}

async function linuxFacts(machineId: string, sources: HostInfoSources): Promise<HostInfo> {
  const root = sources.procRoot;
  const hostname = await readHostname(sources.os, root);
  const kernel = (await firstReadable([`${root}/sys/kernel/osrelease`]))?.trim();
  const memTotal = parseMeminfo(await Deno.readTextFile(`${root}/meminfo`)).get("MemTotal");
  if (memTotal === undefined) throw new TypeError('Cannot parse /proc/meminfo: no "MemTotal" line');
  const info: HostInfo = {
    machineId,
    hostname,
    os: sources.os,
    arch: Deno.build.arch,
    cores: onlineCores(await Deno.readTextFile(`${root}/stat`)),
    memTotal,
  };
  if (kernel) info.kernel = kernel;
  return info;
}

/** Reads HostInfo. Facts the platform does not offer (osName, kernel) are left out. */
export async function readHostInfo(sources: HostInfoSources): Promise<HostInfo> {
  const machineId = await readMachineId(sources.machineId);
  const osReleaseText = await firstReadable(sources.osReleaseFiles);
  const name = osReleaseText === undefined ? undefined : osName(parseOsRelease(osReleaseText));
  const info: HostInfo = sources.os === "linux" ? await linuxFacts(machineId, sources) : {
    machineId,
    hostname: Deno.hostname(),
    os: sources.os,
    kernel: release(),
    arch: Deno.build.arch,
    cores: cpus().length,
    memTotal: Deno.systemMemoryInfo().total,
  };
  if (name !== undefined) {
    info.osName = name;
  } else if (sources.os !== "linux") {
    // macOS and Windows have no os-release; node:os describes them ("Windows 10 Pro" ...).
    const described = version().trim();
    if (described) info.osName = described;
  }
  return info;
}
