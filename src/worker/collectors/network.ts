/** Network rates per interface from /proc/net/dev deltas. */
import type { NetMetrics } from "../../protocol/sample.ts";
import type { Clock, Collector, SampleMetrics } from "./collector.ts";
import { readProcFile } from "./proc_file.ts";
import { monotonicNow } from "./collector.ts";
import { counterRate, parseCounter } from "./counters.ts";

/** Interfaces left out unless `--net-include` names them: loopback and virtual ones. */
export const DEFAULT_NET_EXCLUDE =
  "^(lo|veth.*|docker.*|br-.*|virbr.*|vnet.*|tap.*|tun.*|cni.*|flannel.*|cali.*|kube-.*|weave.*|lxc.*|lxd.*|podman.*|dummy.*|ifb.*|zt.*)$";

/** The /proc/net/dev counters the network metrics use. */
export interface NetCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

/**
 * Parses /proc/net/dev: two header lines, then `iface: 8 receive and 8 transmit counters`.
 * Old kernels print no space after the colon once a counter is wide, so the line is split
 * at the last colon of the name part, not at whitespace.
 */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const lines = text.split("\n");
  if (lines.length < 2 || !lines[0].includes("|") || !lines[1].includes("|")) {
    throw new TypeError("Cannot parse /proc/net/dev: the two header lines are missing");
  }
  const interfaces = new Map<string, NetCounters>();
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new RangeError(`Cannot parse /proc/net/dev line ${i + 1}: no ":"`);
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (name === "" || f.length !== 16) {
      throw new RangeError(
        `Cannot parse /proc/net/dev line ${i + 1}: "${name}" has ${f.length} counters, expected 16`,
      );
    }
    const where = `/proc/net/dev line ${i + 1}`;
    interfaces.set(name, {
      rxBytes: parseCounter(f[0], where),
      rxPackets: parseCounter(f[1], where),
      rxErrors: parseCounter(f[2], where),
      rxDrops: parseCounter(f[3], where),
      txBytes: parseCounter(f[8], where),
      txPackets: parseCounter(f[9], where),
      txErrors: parseCounter(f[10], where),
      txDrops: parseCounter(f[11], where),
    });
  }
  return interfaces;
}

/** Rates for one interface between two readings `elapsedMs` apart; null without a previous one. */
export function netMetrics(
  iface: string,
  previous: NetCounters | undefined,
  current: NetCounters,
  elapsedMs: number,
): NetMetrics {
  const rate = (key: keyof NetCounters) =>
    previous === undefined ? null : counterRate(previous[key], current[key], elapsedMs);
  return {
    iface,
    rxBps: rate("rxBytes"),
    txBps: rate("txBytes"),
    rxPps: rate("rxPackets"),
    txPps: rate("txPackets"),
    rxErrors: rate("rxErrors"),
    txErrors: rate("txErrors"),
    rxDrops: rate("rxDrops"),
    txDrops: rate("txDrops"),
  };
}

/**
 * Which interfaces to report. With `include`, only names it matches are kept; `exclude` then
 * removes names it matches, except that the built-in default exclude list (lo, veth ...) gives
 * way to an explicit include: `--net-include '^lo$'` shows lo.
 */
export function interfaceFilter(exclude: RegExp, include?: RegExp): (iface: string) => boolean {
  const excludeIsDefault = exclude.source === DEFAULT_NET_EXCLUDE && exclude.flags === "";
  return (iface) => {
    if (include !== undefined) {
      if (!include.test(iface)) return false;
      if (excludeIsDefault) return true;
    }
    return !exclude.test(iface);
  };
}

/** Reads `${procRoot}/net/dev` and reports the interfaces the filter keeps. */
export function createNetworkCollector(
  procRoot: string,
  keep: (iface: string) => boolean,
  clock: Clock = monotonicNow,
): Collector {
  let previous: Map<string, NetCounters> | undefined;
  let previousAt = 0;
  return {
    name: "network",
    collect(): SampleMetrics {
      const text = readProcFile(`${procRoot}/net/dev`);
      const at = clock();
      const current = parseNetDev(text);
      const net: NetMetrics[] = [];
      for (const [iface, counters] of current) {
        if (keep(iface)) {
          net.push(netMetrics(iface, previous?.get(iface), counters, at - previousAt));
        }
      }
      previous = current;
      previousAt = at;
      return { net };
    },
  };
}
