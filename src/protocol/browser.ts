/**
 * What the browser takes from src/: the metric catalogue and what derives from it, the wording
 * of values and causes, and the formatters. `deno task gen` bundles this module into
 * static/gen/catalogue.js, which the UI imports (and whose types are this file's).
 */
export { CHARTS, FAMILIES, SCORE_KEY } from "./catalogue.ts";
export type { MetricUnit } from "./catalogue.ts";
export { deviceKey, flattenSample, metricOf, parseDeviceKey } from "./metrics.ts";
export { chartSpecs } from "./charts.ts";
export type { ChartSpec, SeriesSpec } from "./charts.ts";
export { describeCause, describeValue, formatMetric, meaningOf } from "./describe.ts";
export * from "../units/format.ts";
