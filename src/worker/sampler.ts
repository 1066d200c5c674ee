/** createSampler: every collector of this platform behind one `read()`. */
import type { Collector } from "./collectors/collector.ts";
import { createCpuCollector } from "./collectors/cpu.ts";
import { createDiskCollector } from "./collectors/disk.ts";
import { createFailureLog, type FailureLog } from "./collectors/failure_log.ts";
import { createFilesystemCollector } from "./collectors/filesystems.ts";
import { createNetworkCollector, interfaceFilter } from "./collectors/network.ts";
import { createPressureCollector } from "./collectors/pressure.ts";
import { createTemperatureCollector } from "./collectors/temperatures.ts";
import { createLoadCollector, createProcessCountCollector } from "./collectors/load.ts";
import { createMemoryCollector } from "./collectors/memory.ts";
import { portableCollectors } from "./collectors/portable.ts";
import { createCollectorRunner } from "./collectors/run_collectors.ts";
import { createUptimeCollector } from "./collectors/uptime.ts";
import { createProcessCollector } from "./collectors/processes.ts";
import { currentHostname, readHostInfo } from "./host/host_info_reader.ts";
import { readMachineId, SYSTEM_MACHINE_ID_FILES } from "./host/machine_id.ts";
import type { HostInfo } from "./host_info.ts";
import type { Sampler, SamplerOptions, UnnumberedSample } from "./sampler_types.ts";

/** How long one collector may take before a sample goes out without it. */
export const COLLECTOR_DEADLINE_MS = 1000;

/** The procfs/sysfs collectors, each reading under `options.procRoot`/`options.sysRoot`. */
export function linuxCollectors(options: SamplerOptions, failures: FailureLog): Collector[] {
  const { procRoot, sysRoot } = options;
  return [
    createCpuCollector(procRoot),
    createMemoryCollector(procRoot),
    createLoadCollector(procRoot),
    options.processes
      ? createProcessCollector({ procRoot, ...options.processes, log: options.log })
      : createProcessCountCollector(procRoot),
    createUptimeCollector(procRoot),
    createDiskCollector(procRoot, sysRoot),
    createFilesystemCollector({ procRoot, failures }),
    createNetworkCollector(procRoot, interfaceFilter(options.netExclude, options.netInclude)),
    createPressureCollector(procRoot),
    createTemperatureCollector(sysRoot),
  ];
}

/** Extra knobs, mostly seams for tests. */
export interface SamplerOverrides {
  /** Deno.build.os unless given. */
  os?: string;
  /** Replaces the platform's collectors. */
  collectors?: Collector[];
  /** Where the system machine id lives (default /etc/machine-id, /var/lib/dbus/machine-id). */
  machineIdFiles?: string[];
  osReleaseFiles?: string[];
  deadlineMs?: number;
}

/**
 * A Sampler for this machine: Linux collectors from procfs/sysfs, elsewhere what Deno and
 * node:os offer. A failing collector's metrics are absent and its failure goes to
 * `options.log` once per distinct message. `read()` rejects only when no machine id can be
 * read or kept (call `host()` first at startup to fail early); `host()` reads fresh facts on
 * every call.
 */
export function createSampler(options: SamplerOptions, overrides: SamplerOverrides = {}): Sampler {
  const os = overrides.os ?? Deno.build.os;
  const failures = createFailureLog(options.log);
  const collectors = overrides.collectors ??
    (os === "linux" ? linuxCollectors(options, failures) : portableCollectors(os));
  const runner = createCollectorRunner(
    collectors,
    failures,
    overrides.deadlineMs ?? COLLECTOR_DEADLINE_MS,
  );
  const machineIdSources = {
    systemFiles: overrides.machineIdFiles ?? (os === "linux" ? SYSTEM_MACHINE_ID_FILES : []),
    stateDir: options.stateDir,
    given: options.machineId,
  };
  let machineId: Promise<string> | undefined;
  let knownId: string | undefined;

  function identity(): Promise<string> {
    machineId ??= readMachineId(machineIdSources).then((id) => knownId = id, (error) => {
      machineId = undefined; // try again next time
      throw error;
    });
    return machineId;
  }

  function host(): Promise<HostInfo> {
    return readHostInfo({
      os,
      procRoot: options.procRoot,
      osReleaseFiles: overrides.osReleaseFiles ?? ["/etc/os-release", "/usr/lib/os-release"],
      machineId: machineIdSources,
    });
  }

  async function read(): Promise<UnnumberedSample> {
    const id = knownId ?? await identity();
    const metrics = await runner.collect();
    return {
      ts: Date.now(),
      machineId: id,
      hostname: currentHostname(os, options.procRoot),
      ...metrics,
    };
  }

  return { host, read };
}
