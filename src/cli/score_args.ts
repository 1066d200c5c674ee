/** `gridmon score` flags -> ScoreConfig. */
import { UsageError } from "./errors.ts";
import { booleanOption, type OptionSpecs, readOptions, stringOption } from "./options.ts";
import { parseDurationInRange, parseInteger } from "./values.ts";

export interface ScoreConfig {
  input: string;
  /** A file path, or "-" for stdout. */
  output: string;
  mode: "batch" | "stream";
  trees: number;
  sampleSize: number;
  seed: number;
  /** Batch: flag rows whose score reaches this; default 0.5 (scikit-learn's "auto"). */
  threshold?: number;
  /** Batch: flag this fraction of rows with the highest scores instead. */
  contamination?: number;
  /** Stream: ms between rows, overriding the timestamp column. */
  interval?: number;
  help: boolean;
}

export const SCORE_OPTIONS: OptionSpecs = {
  input: { type: "string" },
  output: { type: "string", short: "o" },
  mode: { type: "string", env: true },
  trees: { type: "string", env: true },
  sample: { type: "string", env: true },
  seed: { type: "string", env: true },
  threshold: { type: "string" },
  contamination: { type: "string" },
  interval: { type: "string" },
};

export const SCORE_HELP = `gridmon score — anomaly scores for every row of a CSV file

Usage:
  gridmon score --input F.csv [--output F.csv|-] [--mode batch|stream] [options]

Input is CSV with a header. Numeric columns are features; columns named timestamp and label
are passed through and never used. Output is the input plus score (0..1, higher is more
anomalous), anomaly (0/1) and reason (the feature that contributed most, on anomalous rows).

Options:
  --input F          the CSV file to score (required)
  -o, --output F|-   where to write the result (default -, stdout)
  --mode M           batch: fit an Isolation Forest on all rows, then score them (default)
                     stream: run the master's streaming detector row by row (every numeric
                     column is a metric; every row gets a score, warm-up rows included)
  --trees N          trees in the forest (default 100)
  --sample N         batch: rows per tree (default 256; stream grows its trees on
                     its 256-row history)
  --seed N           random seed (default 1); same seed, same output
  --threshold X      batch: anomaly when score >= X (default 0.5, scikit-learn's "auto")
  --contamination C  batch: flag the fraction C (0 < C < 1) of rows with the highest scores
  --interval D       stream: time between rows (500ms, 1s, 5m, 1h); by default the typical
                     gap of the timestamp column, or 1s without one. Every time setting
                     of the detector (warm-up, averaging, memory, rest) follows from it
  -h, --help         show this help
`;

function parseFraction(text: string, flag: string, low: number, high: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= low || value >= high) {
    throw new UsageError(`--${flag}: "${text}" is not a number between ${low} and ${high}`);
  }
  return value;
}

/** Parses score argv + environment into a ScoreConfig. Throws UsageError. */
export function parseScoreArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): ScoreConfig {
  const values = readOptions("score", argv, SCORE_OPTIONS, env);
  const help = booleanOption(values, "help");
  const input = stringOption(values, "input");
  if (!help && (input === undefined || input === "")) {
    throw new UsageError("score: --input is required");
  }
  const mode = stringOption(values, "mode", "batch");
  if (mode !== "batch" && mode !== "stream") {
    throw new UsageError(`--mode: "${mode}" is not batch or stream`);
  }
  const thresholdText = stringOption(values, "threshold");
  const intervalText = stringOption(values, "interval");
  if (mode === "batch" && intervalText !== undefined) {
    throw new UsageError("score: --interval is for --mode stream");
  }
  const contaminationText = stringOption(values, "contamination");
  if (thresholdText !== undefined && contaminationText !== undefined) {
    throw new UsageError("score: give --threshold or --contamination, not both");
  }
  if (mode === "stream" && (thresholdText !== undefined || contaminationText !== undefined)) {
    throw new UsageError(
      "score: --threshold and --contamination are for --mode batch (stream calibrates its own)",
    );
  }
  return {
    input: input ?? "",
    output: stringOption(values, "output", "-"),
    mode,
    trees: parseInteger(stringOption(values, "trees", "100"), "trees", 1, 10_000),
    sampleSize: parseInteger(stringOption(values, "sample", "256"), "sample", 2, 1_000_000),
    seed: parseInteger(stringOption(values, "seed", "1"), "seed", 0, 4_294_967_295),
    threshold: thresholdText === undefined
      ? undefined
      : parseFraction(thresholdText, "threshold", 0, 1),
    contamination: contaminationText === undefined
      ? undefined
      : parseFraction(contaminationText, "contamination", 0, 1),
    interval: intervalText === undefined
      ? undefined
      : parseDurationInRange(intervalText, "interval", 1, 7 * 86_400_000),
    help,
  };
}
