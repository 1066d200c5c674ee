import assert from "node:assert/strict";
import { formatCsvRecord, parseCsv } from "../../src/detect/csv.ts";
import { parseNumber, readCsvTable } from "../../src/detect/csv_table.ts";

Deno.test("parseCsv() reads quoted fields with commas, doubled quotes and line breaks", () => {
  const records = parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",3\n');
  assert.deepEqual(records, [
    { line: 1, fields: ["a", "b"] },
    { line: 2, fields: ["x, y", 'say "hi"'] },
    { line: 3, fields: ["two\nlines", "3"] },
  ]);
});

Deno.test("parseCsv() skips blank lines but keeps counting them", () => {
  const records = parseCsv("a\n\n1\n");
  assert.deepEqual(records, [{ line: 1, fields: ["a"] }, { line: 3, fields: ["1"] }]);
});

Deno.test("parseCsv() names the line of an unclosed quote", () => {
  assert.throws(() => parseCsv('a,b\n1,2\n3,"oops\n'), /line 3: quoted field never closed/);
});

Deno.test("formatCsvRecord() quotes only what needs it and round-trips", () => {
  const fields = ["plain", "a,b", 'q"uote', "new\nline", ""];
  const text = formatCsvRecord(fields);
  assert.equal(text, 'plain,"a,b","q""uote","new\nline",\n');
  assert.deepEqual(parseCsv(text)[0].fields, fields);
});

Deno.test("parseNumber() accepts decimals and exponents, rejects the rest", () => {
  assert.equal(parseNumber("-1.5e3"), -1500);
  assert.equal(parseNumber(" .5 "), 0.5);
  for (const bad of ["", "abc", "0x10", "1,5", "Infinity", "NaN", "1e999"]) {
    assert.equal(parseNumber(bad), undefined, bad);
  }
});

Deno.test("readCsvTable() makes numeric columns features, never timestamp or label", () => {
  const table = readCsvTable("timestamp,cpu,host,label\n1,2.5,a,0\n2,,b,1\n", "t.csv");
  assert.deepEqual(table.featureNames, ["cpu"]);
  assert.equal(table.values[0], 2.5);
  assert.ok(Number.isNaN(table.values[1]));
});

Deno.test("readCsvTable() rejects bad files with the file name and line number", () => {
  assert.throws(() => readCsvTable("", "e.csv"), /e\.csv: the file is empty/);
  assert.throws(() => readCsvTable("a,b\n", "h.csv"), /no data rows/);
  assert.throws(
    () => readCsvTable("a,b\n1,2\n3\n", "r.csv"),
    /r\.csv: line 3: 1 fields, the header has 2/,
  );
  assert.throws(
    () => readCsvTable("a,b\n1,2\n3,4\n5,x\n", "n.csv"),
    /n\.csv: line 4: column "b": "x" is not a number/,
  );
  assert.throws(() => readCsvTable("name,label\nx,1\n", "s.csv"), /no numeric column/);
  assert.throws(() => readCsvTable("a,a\n1,2\n", "d.csv"), /appears twice/);
});
