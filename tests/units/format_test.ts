import assert from "node:assert/strict";
import {
  fmtAgo,
  fmtBps,
  fmtBytes,
  fmtCelsius,
  fmtDuration,
  fmtDurationCompact,
  fmtNum,
  fmtPct,
  fmtRange,
  fmtRate,
  fmtScore,
  formatterFor,
} from "../../src/units/format.ts";

Deno.test("values are formatted with binary units and short durations", () => {
  assert.equal(fmtBytes(1536), "1.5 KiB");
  assert.equal(fmtBytes(-2048), "-2 KiB");
  assert.equal(fmtBps(5 * 2 ** 20), "5 MiB/s");
  assert.equal(fmtBytes(0), "0 B");
  assert.equal(fmtPct(99.44), "99 %");
  assert.equal(fmtPct(3.14), "3.1 %");
  assert.equal(fmtPct(null), "–");
  assert.equal(fmtRate(0.25), "0.25/s");
  assert.equal(fmtNum(Number.NaN), "–");
  assert.equal(fmtNum(0.000123), "0.00012");
  assert.equal(fmtCelsius(41.25), "41.3 °C");
  assert.equal(fmtScore(0.876), "0.88");
  assert.equal(fmtDuration(90061), "1 d 1 h");
  assert.equal(fmtDuration(3725), "1 h 2 min");
  assert.equal(fmtDuration(125), "2 min 5 s");
  assert.equal(fmtDuration(42), "42 s");
  assert.equal(fmtAgo(1000, 13_000), "12 s ago");
});

Deno.test("fmtDurationCompact() uses the largest unit that divides exactly", () => {
  assert.equal(fmtDurationCompact(250), "250ms");
  assert.equal(fmtDurationCompact(1000), "1s");
  assert.equal(fmtDurationCompact(300_000), "5m");
  assert.equal(fmtDurationCompact(90_000), "90s");
  assert.equal(fmtDurationCompact(14 * 86_400_000), "2w");
});

Deno.test("fmtRange() says a shared unit once", () => {
  assert.equal(fmtRange(5, 14, fmtPct), "5.0–14 %");
  assert.equal(fmtRange(512, 2 ** 20, fmtBytes), "512 B–1 MiB");
  assert.equal(fmtRange(1, 2, fmtNum), "1–2");
  assert.equal(fmtRange(null, 2, fmtNum), "––2");
  assert.equal(formatterFor("bytes_per_second")(2048), "2 KiB/s");
  assert.equal(formatterFor("unknown")(2), "2");
});
