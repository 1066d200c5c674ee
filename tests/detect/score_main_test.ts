import assert from "node:assert/strict";
import { parseScoreArgs } from "../../src/cli/score_args.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { parseCsv } from "../../src/detect/csv.ts";
import { readCsvTable } from "../../src/detect/csv_table.ts";
import { renderOutput, scoreBatch, scoreStream } from "../../src/detect/score_main.ts";

const FIXTURES = new URL("../fixtures/detect/", import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function runScore(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", MAIN, "score", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

Deno.test("parseScoreArgs() reads defaults, flags and GRIDMON_* variables", () => {
  const config = parseScoreArgs(["--input", "a.csv"], { GRIDMON_SEED: "7" });
  assert.equal(config.mode, "batch");
  assert.equal(config.output, "-");
  assert.equal(config.trees, 100);
  assert.equal(config.sampleSize, 256);
  assert.equal(config.seed, 7);
  assert.equal(parseScoreArgs(["--input", "a", "--seed", "3"], { GRIDMON_SEED: "7" }).seed, 3);
});

Deno.test("parseScoreArgs() rejects bad flags with UsageError", () => {
  assert.throws(() => parseScoreArgs([], {}), /--input is required/);
  assert.throws(() => parseScoreArgs(["--input", "a", "--mode", "x"], {}), UsageError);
  assert.throws(() => parseScoreArgs(["--input", "a", "--trees", "0"], {}), /trees/);
  assert.throws(() => parseScoreArgs(["--input", "a", "--contamination", "1.5"], {}), UsageError);
  assert.throws(
    () => parseScoreArgs(["--input", "a", "--threshold", "0.6", "--contamination", "0.1"], {}),
    /not both/,
  );
  assert.throws(
    () => parseScoreArgs(["--input", "a", "--mode", "stream", "--threshold", "0.6"], {}),
    /batch/,
  );
  assert.throws(() => parseScoreArgs(["--input", "a", "--interval", "5m"], {}), /stream/);
  assert.throws(
    () => parseScoreArgs(["--input", "a", "--mode", "stream", "--interval", "0s"], {}),
    /interval/,
  );
  const stream = parseScoreArgs(["--input", "a", "--mode", "stream", "--interval", "5m"], {});
  assert.equal(stream.interval, 300_000);
});

Deno.test("batch mode flags the injected CPU spike with reason cpu, top 2% by contamination", () => {
  const table = readCsvTable(Deno.readTextFileSync(`${FIXTURES}two_metrics.csv`), "f");
  const verdicts = scoreBatch(table, { trees: 100, sampleSize: 256, seed: 1, contamination: 0.02 });
  const flagged = verdicts.flatMap((v, r) => v.anomaly ? [r] : []);
  for (let r = 300; r < 306; r++) {
    assert.ok(flagged.includes(r), `row ${r}`);
    assert.equal(verdicts[r].reason, "cpu");
  }
  assert.ok(flagged.length <= 9);
});

Deno.test("stream mode on a univariate series catches the level shift, scoring every row", () => {
  const table = readCsvTable(Deno.readTextFileSync(`${FIXTURES}univariate.csv`), "u");
  const verdicts = scoreStream(table, { trees: 100, seed: 1 });
  assert.ok(verdicts.every((v) => v.score !== null && v.score >= 0 && v.score <= 1));
  assert.ok(verdicts.slice(0, 150).every((v) => !v.anomaly), "no alarm during warm-up");
  const first = verdicts.findIndex((v) => v.anomaly);
  assert.ok(first >= 250 && first <= 255, `first alarm at ${first}`);
  const onsets = verdicts.filter((v, r) => v.anomaly && !verdicts[r - 1]?.anomaly).length;
  assert.equal(onsets, 1);
  assert.match(verdicts[first].reason, /^value/);
});

Deno.test("stream mode takes its interval from the timestamp column, or --interval", () => {
  const rows = Array.from({ length: 400 }, (_, r) => {
    const ts = new Date(Date.UTC(2024, 0, 1) + r * 300_000).toISOString().replace("T", " ")
      .slice(0, 19);
    return `${ts},${(10 + (r % 7) / 7 + (r >= 300 ? 6 : 0)).toFixed(3)}`;
  });
  const table = readCsvTable(`timestamp,value\n${rows.join("\n")}\n`, "t");
  const verdicts = scoreStream(table, { trees: 50, seed: 1 });
  assert.equal(verdicts.findIndex((v) => v.anomaly), 300);
  const explicit = scoreStream(table, { trees: 50, seed: 1, interval: 300_000 });
  assert.deepEqual(explicit, verdicts);
  const bad = readCsvTable(`timestamp,value\n${rows[0]}\nyesterday,1\n`, "bad.csv");
  assert.throws(
    () => scoreStream(bad, { trees: 50, seed: 1 }, "bad.csv"),
    /bad.csv: line 3: "yesterday"/,
  );
});

Deno.test("renderOutput() keeps the input columns and adds score, anomaly, reason", () => {
  const table = readCsvTable('t,x,note\n1,2,"a,b"\n2,3,c\n', "f");
  const out = parseCsv(renderOutput(table, [
    { score: 0.25, anomaly: false, reason: "" },
    { score: null, anomaly: true, reason: "x" },
  ]));
  assert.deepEqual(out.map((r) => r.fields), [
    ["t", "x", "note", "score", "anomaly", "reason"],
    ["1", "2", "a,b", "0.250000", "0", ""],
    ["2", "3", "c", "", "1", "x"],
  ]);
});

Deno.test("gridmon score writes the output file, same seed same bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const outputs = [];
    for (const name of ["a.csv", "b.csv"]) {
      const result = await runScore([
        "--input",
        `${FIXTURES}two_metrics.csv`,
        "--output",
        `${dir}/${name}`,
        "--mode",
        "stream",
        "--seed",
        "4",
      ]);
      assert.equal(result.code, 0, result.stderr);
      outputs.push(await Deno.readTextFile(`${dir}/${name}`));
    }
    assert.equal(outputs[0], outputs[1]);
    const records = parseCsv(outputs[0]);
    assert.equal(records.length, 401);
    assert.deepEqual(records[0].fields.slice(-3), ["score", "anomaly", "reason"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gridmon score exits 1 with the line number on bad input, 2 on bad flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["a,b\n1,2\n3,4,5\n", /line 3: 3 fields/],
      ["a,b\n1,2\n3,zz\n", /line 3: column "b": "zz" is not a number/],
      ["host,label\nx,0\n", /no numeric column/],
    ];
    for (const [i, [text, expected]] of cases.entries()) {
      const path = `${dir}/bad${i}.csv`;
      await Deno.writeTextFile(path, text);
      const result = await runScore(["--input", path]);
      assert.equal(result.code, 1, text);
      assert.match(result.stderr, expected);
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
    const missing = await runScore(["--input", `${dir}/none.csv`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file/);
    const badFlag = await runScore(["--input", `${dir}/bad0.csv`, "--sample", "one"]);
    assert.equal(badFlag.code, 2);
    const unwritable = await runScore([
      "--input",
      `${FIXTURES}univariate.csv`,
      "--output",
      `${dir}/no/such/dir/out.csv`,
    ]);
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /Cannot write/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
