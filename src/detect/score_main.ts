/**
 * `gridmon score`: CSV in, CSV out with `score`, `anomaly` and `reason` columns.
 *
 * - batch: one Isolation Forest fitted on every row, then every row scored. Missing values are
 *   filled with their column's median first. A row is an anomaly when its score reaches
 *   `--threshold` (default 0.5, scikit-learn's "auto" offset), or, with `--contamination C`,
 *   when it is among the fraction C of highest scores. The reason is the column with the
 *   largest attribution (see IsolationForest.attribute).
 * - stream: the master's StreamingDetector, row by row, every numeric column a feature. The
 *   interval between rows, from which every time setting follows, is the typical gap of the
 *   `timestamp` column (`--interval` overrides it; without either, rows are 1 s apart). Every
 *   row gets a score, warm-up rows included (they never alarm).
 */
import { parseScoreArgs, SCORE_HELP, type ScoreConfig } from "../cli/score_args.ts";
import { formatCsvRecord } from "./csv.ts";
import { type CsvTable, readCsvTable, rowTimes, typicalInterval } from "./csv_table.ts";
import type { FeatureInfo } from "./features.ts";
import { fitForest } from "./isolation_forest.ts";
import { quantileSorted } from "./quantile.ts";
import { type DetectorOptions, StreamingDetector } from "./streaming_detector.ts";

/** Row interval when the file has no timestamps and --interval is not given. */
export const DEFAULT_INTERVAL_MS = 1000;

/** One output row's extra columns. */
export interface RowVerdict {
  score: number | null;
  anomaly: boolean;
  reason: string;
}

/** Entry point, called by main.ts. */
export async function main(argv: string[], env: Record<string, string | undefined>) {
  const config = parseScoreArgs(argv, env);
  if (config.help) {
    console.log(SCORE_HELP);
    return;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(config.input);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot read ${config.input}: no such file`);
    }
    throw new Error(`Cannot read ${config.input}: ${(error as Error).message}`);
  }
  const table = readCsvTable(text, config.input);
  const verdicts = config.mode === "batch"
    ? scoreBatch(table, config)
    : scoreStream(table, config, config.input);
  const out = renderOutput(table, verdicts);
  if (config.output === "-") {
    await Deno.stdout.write(new TextEncoder().encode(out));
  } else {
    try {
      await Deno.writeTextFile(config.output, out);
    } catch (error) {
      throw new Error(`Cannot write ${config.output}: ${(error as Error).message}`);
    }
  }
}

/** Batch mode: fit on all rows, score all rows. */
export function scoreBatch(
  table: CsvTable,
  config: Pick<ScoreConfig, "trees" | "sampleSize" | "seed" | "threshold" | "contamination">,
): RowVerdict[] {
  const nF = table.featureNames.length;
  const n = table.rows.length;
  if (n < 2) throw new RangeError(`batch mode needs at least 2 rows, the file has ${n}`);
  const data = fillWithMedians(table.values, n, nF);
  const forest = fitForest(data, n, nF, {
    trees: config.trees,
    sampleSize: config.sampleSize,
    seed: config.seed,
  });
  const scores = forest.scoreAll(data);
  let threshold = config.threshold ?? 0.5;
  if (config.contamination !== undefined) {
    threshold = quantileSorted(Float64Array.from(scores).sort(), 1 - config.contamination);
  }
  return Array.from(scores, (score, r) => {
    const anomaly = score >= threshold;
    let reason = "";
    if (anomaly) {
      const attribution = forest.attribute(data, r * nF);
      let best = 0;
      for (let f = 1; f < nF; f++) if (attribution[f] > attribution[best]) best = f;
      reason = table.featureNames[best];
    }
    return { score, anomaly, reason };
  });
}

/** Stream mode: the streaming detector, row by row. */
export function scoreStream(
  table: CsvTable,
  config: Pick<ScoreConfig, "trees" | "seed" | "interval"> & Pick<DetectorOptions, "scales">,
  source = "input",
): RowVerdict[] {
  const nF = table.featureNames.length;
  const stamps = rowTimes(table, source);
  const intervalMs = config.interval ?? (stamps && typicalInterval(stamps)) ?? DEFAULT_INTERVAL_MS;
  const times = stamps ?? table.rows.map((_, r) => r * intervalMs);
  const features: FeatureInfo[] = table.featureNames.map((name) => ({ name, floor: 0 }));
  const detector = new StreamingDetector(features, {
    intervalMs,
    trees: config.trees,
    seed: config.seed,
    scales: config.scales,
  });
  return table.rows.map((_, r) => {
    const { verdict, score } = detector.observe(
      times[r],
      table.values.subarray(r * nF, (r + 1) * nF),
    );
    return { score, anomaly: verdict.anomalous, reason: verdict.reason ?? "" };
  });
}

/** The input rows plus score, anomaly and reason, as CSV text. */
export function renderOutput(table: CsvTable, verdicts: readonly RowVerdict[]): string {
  const taken = new Set(table.header);
  const extra = ["score", "anomaly", "reason"].map((name) => {
    let unique = name;
    while (taken.has(unique)) unique = `gridmon_${unique}`;
    return unique;
  });
  const parts = [formatCsvRecord([...table.header, ...extra])];
  table.rows.forEach((row, r) => {
    const v = verdicts[r];
    parts.push(formatCsvRecord([
      ...row.fields,
      v.score === null ? "" : v.score.toFixed(6),
      v.anomaly ? "1" : "0",
      v.reason,
    ]));
  });
  return parts.join("");
}

function fillWithMedians(values: Float64Array, n: number, nF: number): Float64Array {
  const data = Float64Array.from(values);
  for (let f = 0; f < nF; f++) {
    const known: number[] = [];
    for (let r = 0; r < n; r++) if (!Number.isNaN(data[r * nF + f])) known.push(data[r * nF + f]);
    if (known.length === n) continue;
    const median = known.length === 0 ? 0 : quantileSorted(Float64Array.from(known).sort(), 0.5);
    for (let r = 0; r < n; r++) if (Number.isNaN(data[r * nF + f])) data[r * nF + f] = median;
  }
  return data;
}
