import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { parseMasterArgs, parseRetention } from "../../src/cli/master_args.ts";
import { parseWorkerArgs } from "../../src/cli/worker_args.ts";

Deno.test("worker flags win over GRIDMON_* variables, which win over defaults", () => {
  const env = { GRIDMON_MASTER: "env-host", GRIDMON_INTERVAL: "5s", GRIDMON_TOKEN: "from-env" };
  const fromEnv = parseWorkerArgs([], env);
  assert.equal(fromEnv.masterUrl, "ws://env-host:7863/ws/worker");
  assert.equal(fromEnv.intervalMs, 5000);
  assert.equal(fromEnv.token, "from-env");
  const fromFlags = parseWorkerArgs(["--master", "flag-host:1", "--interval", "2s"], env);
  assert.equal(fromFlags.masterUrl, "ws://flag-host:1/ws/worker");
  assert.equal(fromFlags.intervalMs, 2000);
  const defaults = parseWorkerArgs(["--print"], {});
  assert.equal(defaults.intervalMs, 1000);
  assert.equal(defaults.spoolDir, "./gridmon-spool");
  assert.ok(
    defaults.netExclude.test("lo") && defaults.netExclude.test("veth12ab") &&
      !defaults.netExclude.test("eth0"),
  );
});

Deno.test("worker refuses unknown flags, bad values and missing --master with one line", () => {
  const cases: [string[], RegExp][] = [
    [["--print", "--bogus"], /unknown flag --bogus/],
    [["--print", "--interval", "0"], /--interval: 0 is out of range/],
    [["--master", "::::"], /--master: "::::" is not a master address/],
    [[], /--master is required/],
    [["--master", "h", "--once"], /--once only goes with --print/],
    [["--print", "--interval"], /--interval needs a value/],
    [["--print", "extra"], /unexpected argument "extra"/],
    [["--print", "--net-exclude", "("], /not a valid regular expression/],
    [["--print", "--master", "h"], /--master does nothing with --print/],
    [["--print", "--once", "--token", "abcdefgh"], /--token does nothing with --print/],
    [["--print", "--name", "web"], /--name does nothing with --print/],
    [["--master", "h", "--machine-id", "has space"], /--machine-id: "has space" must be 1 to 128/],
    [["--master", "h", "--machine-id", ""], /--machine-id: "" must be/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseWorkerArgs(argv, {}),
      (e) => e instanceof UsageError && message.test(e.message) && !e.message.includes("\n"),
      argv.join(" "),
    );
  }
});

Deno.test("worker --machine-id (or GRIDMON_MACHINE_ID) sets the id a clone reports", () => {
  assert.equal(parseWorkerArgs(["--master", "h"], {}).machineId, undefined);
  const id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  assert.equal(parseWorkerArgs(["--master", "h", "--machine-id", id], {}).machineId, id);
  assert.equal(
    parseWorkerArgs(["--master", "h"], { GRIDMON_MACHINE_ID: "vm-7" }).machineId,
    "vm-7",
  );
});

Deno.test("worker --print ignores connection settings from the environment, not from flags", () => {
  const env = { GRIDMON_MASTER: "env-host", GRIDMON_TOKEN: "from-env-token" };
  assert.equal(parseWorkerArgs(["--print"], env).print, true);
});

Deno.test("master --bind refuses a dotted address with a number above 255, naming the flag", () => {
  assert.throws(
    () => parseMasterArgs(["--bind", "999.1.1.1"], {}),
    (e) =>
      e instanceof UsageError && /^--bind: "999\.1\.1\.1" is not an IPv4 address/.test(e.message),
  );
  assert.equal(parseMasterArgs(["--bind", "10.1.2.3"], {}).bind, "10.1.2.3");
  assert.equal(parseMasterArgs(["--bind", "localhost"], {}).bind, "localhost");
});

Deno.test("a boolean GRIDMON_* variable must say true or false", () => {
  assert.equal(parseMasterArgs([], { GRIDMON_PUBLIC_UI: "true" }).publicUi, true);
  assert.equal(parseMasterArgs([], { GRIDMON_NO_LOCAL_WORKER: "1" }).localWorker, false);
  assert.throws(
    () => parseMasterArgs([], { GRIDMON_PUBLIC_UI: "maybe" }),
    /GRIDMON_PUBLIC_UI: "maybe" is not true or false/,
  );
});

Deno.test("master defaults match the documented contract", () => {
  const config = parseMasterArgs([], {});
  assert.equal(config.port, 7863);
  assert.equal(config.bind, "0.0.0.0");
  assert.equal(config.dataDir, "./data");
  assert.equal(config.localWorker, true);
  assert.equal(config.publicUi, false);
  assert.deepEqual(config.retention, {
    raw: 48 * 3600e3,
    minute: 30 * 86400e3,
    hour: 400 * 86400e3,
  });
});

Deno.test("master refuses a bad port, a short token and a bad retention spec", () => {
  assert.throws(() => parseMasterArgs(["--port", "70000"], {}), /--port: 70000 is out of range/);
  assert.throws(
    () => parseMasterArgs(["--port", "http"], {}),
    /--port: "http" is not a whole number/,
  );
  assert.throws(
    () => parseMasterArgs(["--token", "short"], {}),
    /--token: must be 8 to 256 characters/,
  );
  assert.throws(() => parseMasterArgs(["--retention", "raw=forever"], {}), UsageError);
  assert.throws(() => parseMasterArgs(["--retention", "daily=3d"], {}), /is not TIER=DURATION/);
});

Deno.test("parseRetention() overrides only the tiers given", () => {
  assert.deepEqual(parseRetention("raw=7d"), {
    raw: 7 * 86400e3,
    minute: 30 * 86400e3,
    hour: 400 * 86400e3,
  });
  assert.deepEqual(parseRetention("raw=1h,minute=1d,hour=10d"), {
    raw: 3600e3,
    minute: 86400e3,
    hour: 864000e3,
  });
});
