/**
 * A CSV file as `gridmon score` sees it: a header, rows, and the numeric columns that are
 * features. A column is numeric when its first non-empty value is a number; from then on
 * every non-empty value in it must be one. Empty values are missing (NaN). Columns named
 * `timestamp` and `label` (any case) are never features.
 */
import { type CsvRecord, parseCsv } from "./csv.ts";

/** Columns passed through and never used as features. */
export const PASS_THROUGH = new Set(["timestamp", "label"]);

export interface CsvTable {
  header: string[];
  rows: CsvRecord[];
  /** Indices (into the header) of the feature columns. */
  featureColumns: number[];
  /** Feature names, in featureColumns order. */
  featureNames: string[];
  /** Row-major feature values, NaN where missing. */
  values: Float64Array;
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Parses a decimal number; undefined when `text` is not one. */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Reads CSV text into a table. Throws SyntaxError naming `source` and the line for an empty
 * file, a file with no rows, a ragged row, a non-number in a numeric column, or no numeric
 * column at all.
 */
export function readCsvTable(text: string, source: string): CsvTable {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    throw new SyntaxError(`${source}: ${(error as Error).message}`);
  }
  if (records.length === 0) throw new SyntaxError(`${source}: the file is empty`);
  const [head, ...rows] = records;
  const header = head.fields.map((h) => h.trim());
  if (rows.length === 0) throw new SyntaxError(`${source}: no data rows after the header`);
  const seen = new Set<string>();
  for (const name of header) {
    if (name === "") throw new SyntaxError(`${source}: line ${head.line}: empty column name`);
    if (seen.has(name)) {
      throw new SyntaxError(`${source}: line ${head.line}: column "${name}" appears twice`);
    }
    seen.add(name);
  }
  for (const row of rows) {
    if (row.fields.length !== header.length) {
      throw new SyntaxError(
        `${source}: line ${row.line}: ${row.fields.length} fields, the header has ${header.length}`,
      );
    }
  }
  const featureColumns: number[] = [];
  header.forEach((name, c) => {
    if (PASS_THROUGH.has(name.toLowerCase())) return;
    const first = rows.find((row) => row.fields[c].trim() !== "");
    if (first && parseNumber(first.fields[c]) !== undefined) featureColumns.push(c);
  });
  if (featureColumns.length === 0) {
    throw new SyntaxError(
      `${source}: no numeric column (timestamp and label are never features)`,
    );
  }
  const nF = featureColumns.length;
  const values = new Float64Array(rows.length * nF);
  rows.forEach((row, r) => {
    featureColumns.forEach((c, f) => {
      const text = row.fields[c];
      if (text.trim() === "") {
        values[r * nF + f] = NaN;
        return;
      }
      const value = parseNumber(text);
      if (value === undefined) {
        throw new SyntaxError(
          `${source}: line ${row.line}: column "${header[c]}": "${text}" is not a number`,
        );
      }
      values[r * nF + f] = value;
    });
  });
  return {
    header,
    rows,
    featureColumns,
    featureNames: featureColumns.map((c) => header[c]),
    values,
  };
}

const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * A timestamp cell as ms since the epoch: a number (ms, or seconds when below 1e11), or an ISO
 * date-time (`2014-04-01 00:05:00`, taken as UTC when it names no zone). Undefined otherwise.
 */
export function parseTimestamp(text: string): number | undefined {
  const trimmed = text.trim();
  const number = parseNumber(trimmed);
  if (number !== undefined) return Math.abs(number) < 1e11 ? number * 1000 : number;
  const iso = ISO_NO_ZONE.test(trimmed) ? `${trimmed.replace(" ", "T")}Z` : trimmed;
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The times of the table's rows from its `timestamp` column (any case), or null when it has
 * none. Throws SyntaxError naming the line of an empty or unreadable timestamp.
 */
export function rowTimes(table: CsvTable, source: string): number[] | null {
  const column = table.header.findIndex((name) => name.toLowerCase() === "timestamp");
  if (column < 0) return null;
  return table.rows.map((row) => {
    const ms = parseTimestamp(row.fields[column]);
    if (ms === undefined) {
      throw new SyntaxError(
        `${source}: line ${row.line}: "${row.fields[column]}" is not a timestamp`,
      );
    }
    return ms;
  });
}

/** The usual gap between consecutive times (their median positive difference), or undefined. */
export function typicalInterval(times: readonly number[]): number | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const gap = times[i] - times[i - 1];
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return undefined;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}
