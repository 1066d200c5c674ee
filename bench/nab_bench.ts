/**
 * The streaming detector on the Numenta Anomaly Benchmark's development half
 * (`../shared/bench/nab`, see its README): `gridmon score --mode stream`'s code path (scoreStream)
 * over every data file, each row's score written as NAB's scorer wants it, then scored with the
 * folder's `score.py` (NAB's own scoring: one threshold per profile over all files, normalised
 * so that 0 is a detector that never fires and 100 is perfect). Printed next to the published
 * detectors' scores on the same half, read from the folder's README.
 *
 * Generalisation check: the same results scored on two halves of the development files (even
 * and odd positions of the name-sorted list), each with its own threshold, as the held-out
 * half will be. The detector has no per-file or per-category setting: every time setting
 * follows from each file's sample interval (its timestamp column).
 *
 * Knobs: GRIDMON_NAB_DIR (default ../shared/bench/nab, relative to the repository).
 */
import { join } from "node:path";
import { readCsvTable } from "../src/detect/csv_table.ts";
import { renderOutput, scoreStream } from "../src/detect/score_main.ts";

const repo = new URL("..", import.meta.url).pathname;
const nab = Deno.env.get("GRIDMON_NAB_DIR") ?? join(repo, "../shared/bench/nab");

interface Scores {
  standard: number;
  lowFp: number;
  lowFn: number;
  files: number;
  windows: number;
}

const windows = JSON.parse(await Deno.readTextFile(join(nab, "windows.json"))) as Record<
  string,
  unknown
>;
const files = Object.keys(windows).sort();
const results = await Deno.makeTempDir({ prefix: "gridmon_nab_" });
const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?")).split(" ");
console.log(
  `${files.length} files from ${nab}; load average ${load.slice(0, 3).join(" ")} (2 shared cores)`,
);
try {
  const started = performance.now();
  let rows = 0;
  for (const rel of files) {
    const text = await Deno.readTextFile(join(nab, "data", rel));
    const table = readCsvTable(text, rel);
    const verdicts = scoreStream(table, { trees: 100, seed: 1 }, rel);
    rows += verdicts.length;
    await Deno.mkdir(join(results, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(results, rel), renderOutput(table, verdicts));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `detector: ${rows.toLocaleString("en")} rows in ${seconds.toFixed(1)} s ` +
      `(${Math.round(rows / seconds).toLocaleString("en")} rows/s)\n`,
  );
  const all = await score(files, "all");
  const even = await score(files.filter((_, i) => i % 2 === 0), "even");
  const odd = await score(files.filter((_, i) => i % 2 === 1), "odd");
  console.log("| detector | dev standard | dev low FP | dev low FN |");
  console.log("|---|---:|---:|---:|");
  const ours = `| **gridmon stream** | **${all.standard.toFixed(2)}** | **${
    all.lowFp.toFixed(2)
  }** | **${all.lowFn.toFixed(2)}** |`;
  const published = await publishedScores();
  let placed = false;
  for (const p of published) {
    if (!placed && p.standard < all.standard) {
      console.log(ours);
      placed = true;
    }
    console.log(
      `| ${p.name} | ${p.standard.toFixed(2)} | ${p.lowFp.toFixed(2)} | ${p.lowFn.toFixed(2)} |`,
    );
  }
  if (!placed) console.log(ours);
  console.log(`\n${all.files} files, ${all.windows} windows (published: NAB's result files).\n`);
  console.log("Generalisation check (each half scored alone, with its own threshold):\n");
  console.log("| files | count | windows | standard | low FP | low FN |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [name, s] of [["even positions", even], ["odd positions", odd]] as const) {
    console.log(
      `| ${name} | ${s.files} | ${s.windows} | ${s.standard.toFixed(2)} | ${s.lowFp.toFixed(2)} | ${
        s.lowFn.toFixed(2)
      } |`,
    );
  }
} finally {
  await Deno.remove(results, { recursive: true });
}

/** Runs score.py on `subset` of the files (a windows file listing only them). */
async function score(subset: string[], name: string): Promise<Scores> {
  const windowsFile = join(results, `windows_${name}.json`);
  await Deno.writeTextFile(
    windowsFile,
    JSON.stringify(Object.fromEntries(subset.map((f) => [f, windows[f]]))),
  );
  const { code, stdout, stderr } = await new Deno.Command("python3", {
    args: [join(nab, "score.py"), "--data", join(nab, "data"), "--windows", windowsFile, results],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  const match = /standard=(-?[\d.]+) low_fp=(-?[\d.]+) low_fn=(-?[\d.]+) files=(\d+) windows=(\d+)/
    .exec(out);
  if (code !== 0 || !match) {
    throw new Error(`score.py failed (${code}): ${out}${new TextDecoder().decode(stderr)}`);
  }
  const [, standard, lowFp, lowFn, nFiles, nWindows] = match.map(Number);
  return { standard, lowFp, lowFn, files: nFiles, windows: nWindows };
}

/** The published detectors' development-half scores, from the NAB folder's README table. */
async function publishedScores() {
  const readme = await Deno.readTextFile(join(nab, "README.md"));
  const rows: { name: string; standard: number; lowFp: number; lowFn: number }[] = [];
  for (const line of readme.split("\n")) {
    const cells = line.split("|").map((c) => c.trim()).filter((_, i, a) =>
      i > 0 && i < a.length - 1
    );
    if (cells.length < 4) continue;
    const [name, ...rest] = cells;
    const [standard, lowFp, lowFn] = rest.slice(0, 3).map((c) => Number.parseFloat(c));
    if ([standard, lowFp, lowFn].every(Number.isFinite)) {
      rows.push({ name, standard, lowFp, lowFn });
    }
  }
  if (rows.length === 0) throw new Error(`no published scores found in ${nab}/README.md`);
  return rows.sort((a, b) => b.standard - a.standard);
}
