import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import {
  formatDuration,
  parseDuration,
  parseDurationInRange,
  parseMasterAddress,
  parseSize,
} from "../../src/cli/values.ts";

Deno.test("parseDuration() reads units and treats a bare number as seconds", () => {
  assert.equal(parseDuration("250ms", "x"), 250);
  assert.equal(parseDuration("1s", "x"), 1000);
  assert.equal(parseDuration("1.5", "x"), 1500);
  assert.equal(parseDuration("5m", "x"), 300_000);
  assert.equal(parseDuration("48h", "x"), 172_800_000);
  assert.equal(parseDuration("30d", "x"), 2_592_000_000);
});

Deno.test("parseDuration() refuses text that is not a duration, naming the flag", () => {
  for (const bad of ["", "abc", "1y", "-1s", "1 s s"]) {
    assert.throws(
      () => parseDuration(bad, "interval"),
      (e) => e instanceof UsageError && /^--interval: /.test(e.message),
    );
  }
});

Deno.test("parseDurationInRange() refuses values outside the range", () => {
  assert.throws(
    () => parseDurationInRange("0", "interval", 250, 3_600_000),
    /out of range \(250ms to 1h\)/,
  );
  assert.throws(() => parseDurationInRange("2h", "interval", 250, 3_600_000), /out of range/);
  assert.equal(parseDurationInRange("250ms", "interval", 250, 3_600_000), 250);
});

Deno.test("formatDuration() picks the largest whole unit", () => {
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(3_600_000), "1h");
});

Deno.test("parseSize() reads decimal and binary units", () => {
  assert.equal(parseSize("64MiB", "x"), 64 * 1024 * 1024);
  assert.equal(parseSize("100MB", "x"), 100_000_000);
  assert.equal(parseSize("4096", "x"), 4096);
  assert.throws(() => parseSize("lots", "spool-max"), /--spool-max: "lots" is not a size/);
  assert.throws(() => parseSize("5XB", "spool-max"), UsageError);
});

Deno.test("parseMasterAddress() accepts hosts, ports, IPv6 and URLs", () => {
  assert.equal(parseMasterAddress("192.168.1.101"), "ws://192.168.1.101:7863/ws/worker");
  assert.equal(parseMasterAddress("master.lan:9000"), "ws://master.lan:9000/ws/worker");
  assert.equal(parseMasterAddress("[fd00::1]:7000"), "ws://[fd00::1]:7000/ws/worker");
  assert.equal(parseMasterAddress("fd00::1"), "ws://[fd00::1]:7863/ws/worker");
  assert.equal(parseMasterAddress("ws://h:1/ws/worker"), "ws://h:1/ws/worker");
  assert.equal(parseMasterAddress("wss://h.example"), "wss://h.example:443/ws/worker");
  assert.equal(parseMasterAddress("http://h:7863"), "ws://h:7863/ws/worker");
});

Deno.test("parseMasterAddress() refuses addresses that cannot be dialled", () => {
  for (
    const bad of ["::::", "", "ftp://h", "h:99999", "user:pw@h", "ws://h:1/?token=x", "h:port"]
  ) {
    assert.throws(
      () => parseMasterAddress(bad),
      (e) => e instanceof UsageError && /--master: /.test(e.message),
      bad,
    );
  }
});
