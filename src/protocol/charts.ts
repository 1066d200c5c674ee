/**
 * The machine page's charts for the series a machine reports, from the catalogue's chart list
 * and each metric's placement. Shared with the browser.
 */
import { CHARTS, type MetricUnit, SCORE_KEY, SCORE_METRIC } from "./catalogue.ts";
import { COMPILED, deviceLabel, type MetricInfo, parseDeviceKey } from "./metrics.ts";

/** One line of a chart. */
export interface SeriesSpec {
  key: string;
  label: string;
  width?: number;
  dash?: number[];
  fill?: boolean;
}

/** One chart and the lines it draws. */
export interface ChartSpec {
  id: string;
  title: string;
  unit: MetricUnit;
  range?: [number, number];
  series: SeriesSpec[];
}

const deviceOrder = new Intl.Collator(undefined, { numeric: true });

function seriesOf(m: MetricInfo, key: string, device?: string): SeriesSpec {
  const plot = m.plot!;
  const shown = device === undefined || !m.device ? device : deviceLabel(m.device, device);
  const named = shown === undefined
    ? plot.series ?? m.label
    : plot.series
    ? `${shown} ${plot.series}`
    : shown;
  const spec: SeriesSpec = { key, label: named };
  if (plot.width !== undefined) spec.width = plot.width;
  if (plot.dash) spec.dash = plot.dash;
  if (plot.fill) spec.fill = true;
  return spec;
}

/**
 * The charts to draw for the metric keys a machine reports (`keys`), in catalogue order; a
 * chart with none of its series present is left out, and optional charts (per-core CPU) are
 * drawn only when asked for.
 */
export function chartSpecs(keys: ReadonlySet<string>, withOptional: boolean): ChartSpec[] {
  /** family -> device names present */
  const devices = new Map<string, Set<string>>();
  for (const key of keys) {
    const d = parseDeviceKey(key);
    if (!d) continue;
    let names = devices.get(d.family);
    if (!names) devices.set(d.family, names = new Set());
    names.add(d.name);
  }
  const byChart = new Map<string, SeriesSpec[]>();
  const add = (chart: string, spec: SeriesSpec) => {
    if (!keys.has(spec.key)) return;
    const list = byChart.get(chart) ?? [];
    list.push(spec);
    byChart.set(chart, list);
  };
  for (const family of COMPILED) {
    const placed = family.metrics.filter((m) => m.plot);
    if (!family.entry.device) {
      for (const m of placed) add(m.plot!.chart, seriesOf(m, m.key));
      continue;
    }
    const names = [...devices.get(family.entry.name) ?? []].sort((a, b) =>
      deviceOrder.compare(a, b)
    );
    for (const name of names) {
      for (const m of placed) {
        add(m.plot!.chart, seriesOf(m, `${family.entry.name}:${name}:${m.key}`, name));
      }
    }
  }
  add(
    SCORE_METRIC.plot!.chart,
    seriesOf({ ...SCORE_METRIC, key: SCORE_KEY, family: "" }, SCORE_KEY),
  );
  const specs: ChartSpec[] = [];
  for (const chart of CHARTS) {
    const series = byChart.get(chart.id);
    if (!series || (chart.optional && !withOptional)) continue;
    const spec: ChartSpec = { id: chart.id, title: chart.title, unit: chart.unit, series };
    if (chart.range) spec.range = chart.range;
    specs.push(spec);
  }
  return specs;
}
