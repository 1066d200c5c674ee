/** Picking the processes worth reporting: the top N by each resource. */
import type { ProcessEntry } from "../../protocol/processes.ts";

type Measure = (entry: ProcessEntry) => number | null;

/** The measures a process can rank on; each ranking skips processes at zero or unknown. */
export const MEASURES: Readonly<Record<"cpu" | "rss" | "readBps" | "writeBps", Measure>> = {
  cpu: (e) => e.cpu,
  rss: (e) => e.rss,
  readBps: (e) => e.readBps,
  writeBps: (e) => e.writeBps,
};

/** The `n` entries with the highest positive `measure`, highest first (ties: lower pid). */
export function topBy(
  entries: readonly ProcessEntry[],
  measure: Measure,
  n: number,
): ProcessEntry[] {
  const best: ProcessEntry[] = [];
  if (n <= 0) return best;
  const outranks = (a: ProcessEntry, b: ProcessEntry) => {
    const x = measure(a) ?? 0;
    const y = measure(b) ?? 0;
    return x > y || (x === y && a.pid < b.pid);
  };
  for (const entry of entries) {
    const value = measure(entry);
    if (value === null || !(value > 0)) continue;
    if (best.length < n) best.push(entry);
    else if (outranks(entry, best[n - 1])) best[n - 1] = entry;
    else continue;
    for (let i = best.length - 1; i > 0 && outranks(best[i], best[i - 1]); i--) {
      [best[i], best[i - 1]] = [best[i - 1], best[i]];
    }
  }
  return best;
}

/** Orders by CPU (unknown last), then memory. */
export function byCpuThenMemory(a: ProcessEntry, b: ProcessEntry): number {
  return (b.cpu ?? -1) - (a.cpu ?? -1) || b.rss - a.rss || a.pid - b.pid;
}

/**
 * The union of the top `n` by CPU, memory, disk read and disk write, by CPU first. Memory in
 * `entries` may be approximate: `makeExact` is called once with every entry that may be
 * reported (the other rankings, and the top 2n by approximate memory as candidates) and must
 * set their exact `rss`; the memory ranking is then made among the candidates.
 */
export function rankProcesses(
  entries: readonly ProcessEntry[],
  n: number,
  makeExact: (entries: ProcessEntry[]) => void = () => {},
): ProcessEntry[] {
  const union = new Set<ProcessEntry>();
  for (const measure of [MEASURES.cpu, MEASURES.readBps, MEASURES.writeBps]) {
    for (const entry of topBy(entries, measure, n)) union.add(entry);
  }
  const memoryCandidates = topBy(entries, MEASURES.rss, 2 * n);
  makeExact([...new Set([...union, ...memoryCandidates])]);
  for (const entry of topBy(memoryCandidates, MEASURES.rss, n)) union.add(entry);
  return [...union].sort(byCpuThenMemory);
}
