/**
 * Reads a labelled set (ODDS style: a header, numeric feature columns, the 0/1 label last) into
 * a row-major feature matrix and the labels, for the isolation forest's tests and benchmark.
 */
export interface LabelledSet {
  /** Rows × features, row-major. */
  data: Float64Array;
  labels: Float64Array;
  /** Rows. */
  n: number;
  /** Features per row. */
  nF: number;
}

/** Reads `path`; a cell that is not a number is an error naming its line. */
export function readLabelledCsv(path: string): LabelledSet {
  const lines = Deno.readTextFileSync(path).trim().split("\n");
  const nF = lines[0].split(",").length - 1;
  const n = lines.length - 1;
  const data = new Float64Array(n * nF);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const parts = lines[i + 1].split(",").map(Number);
    if (parts.length !== nF + 1 || parts.some(Number.isNaN)) {
      throw new RangeError(`${path} line ${i + 2}: expected ${nF + 1} numbers`);
    }
    for (let f = 0; f < nF; f++) data[i * nF + f] = parts[f];
    labels[i] = parts[nF];
  }
  return { data, labels, n, nF };
}
