/**
 * InfluxDB line protocol bodies (timestamps in ms: write with `precision=ms`). Lines are made
 * by the official client's Point (@influxdata/influxdb-client), which does the escaping.
 *
 * Layout: measurement `gridmon`; a group's labels are the tags; each metric is a field named
 * like its Prometheus name without the `gridmon_` prefix. So a line reads
 * `gridmon,machine=m1,master=a,name=web1 cpu_usage_percent=12.5,load1=0.3 1700000000000`, and
 * a Prometheus-compatible database that takes line protocol (VictoriaMetrics joins measurement
 * and field with `_`) stores it under the very names /metrics and remote write use.
 */
import { Point } from "@influxdata/influxdb-client";
import type { Label, SeriesGroup } from "./series_groups.ts";

export const INFLUX_MEASUREMENT = "gridmon";
const PREFIX = `${INFLUX_MEASUREMENT}_`;

/** The field a Prometheus name becomes. */
export function influxField(promName: string): string {
  return promName.startsWith(PREFIX) ? promName.slice(PREFIX.length) : promName;
}

/** Lines gathered for one request. */
export class LineProtocolBatch {
  #lines: string[] = [];
  /** Values (fields) in the batch. */
  points = 0;

  /** Adds the group's current values at `ts` as one line. */
  addGroup(group: SeriesGroup, ts: number): void {
    const point = new Point(INFLUX_MEASUREMENT);
    let fields = 0;
    for (let i = 0; i < group.values.length; i++) {
      const v = group.values[i];
      if (v !== v) continue;
      point.floatField(influxField(group.names[i]), v);
      fields++;
    }
    if (fields === 0) return;
    this.#push(point, group.labels, ts, fields);
  }

  /** Adds one value of a series outside the groups. */
  addPoint(labels: readonly Label[], name: string, ts: number, value: number): void {
    this.#push(new Point(INFLUX_MEASUREMENT).floatField(influxField(name), value), labels, ts, 1);
  }

  #push(point: Point, labels: readonly Label[], ts: number, fields: number): void {
    for (const [k, v] of labels) point.tag(k, v);
    const line = point.timestamp(String(Math.round(ts))).toLineProtocol();
    if (line === undefined) return;
    this.#lines.push(line);
    this.points += fields;
  }

  /** The request body; empties the batch. */
  encode(): Uint8Array {
    const body = new TextEncoder().encode(this.#lines.join("\n") + "\n");
    this.#lines = [];
    this.points = 0;
    return body;
  }
}
