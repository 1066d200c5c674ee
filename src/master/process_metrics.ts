/**
 * /metrics for watched processes: for every machine whose newest process scan has a watch list
 * (`worker --watch-process`), each name's running instances and their CPU, memory and disk, from
 * that scan. Labels: `machine` and `name` as for every machine series, `process` the name.
 */
import type { FleetState } from "./fleet_state.ts";
import { Exposition } from "./prometheus.ts";
import type { Store } from "./store/store_types.ts";

/** The watched-process families, appended to the /metrics exposition. */
export function renderProcessMetrics(fleet: FleetState, store: Store): string {
  const out = new Exposition();
  let any = false;
  for (const state of fleet.all()) {
    const watched = store.latestProcesses(state.row.id)?.watched;
    if (!watched) continue;
    for (const line of watched) {
      any = true;
      const labels: [string, string][] = [
        ["machine", state.row.id],
        ["name", state.row.name],
        ["process", line.name],
      ];
      out.add(
        "gridmon_process_instances",
        "gauge",
        "Running processes of a watched name (0: not running), at the newest process scan",
        labels,
        line.count,
      );
      out.add(
        "gridmon_process_resident_bytes",
        "gauge",
        "Resident memory of a watched name's processes, summed",
        labels,
        line.rss,
      );
      if (line.cpu !== null) {
        out.add(
          "gridmon_process_cpu_percent",
          "gauge",
          "CPU of a watched name's processes over the last scan, percent of one core, summed",
          labels,
          line.cpu,
        );
      }
      for (
        const [name, value, what] of [
          ["gridmon_process_disk_read_bytes_per_second", line.readBps, "read from"],
          ["gridmon_process_disk_write_bytes_per_second", line.writeBps, "written to"],
        ] as const
      ) {
        if (value === null) continue;
        out.add(
          name,
          "gauge",
          `Bytes a watched name's processes ${what} storage per second over the last scan, summed`,
          labels,
          value,
        );
      }
    }
  }
  return any ? out.toString() : "";
}
