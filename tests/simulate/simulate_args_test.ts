import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { parseSimulateArgs, parseSpeed, parseStart } from "../../src/cli/simulate_args.ts";

const NOW = Date.UTC(2026, 10, 21, 6, 0, 0);
const BASE = ["--master", "10.0.0.5", "--token", "secret-token", "--workers", "20"];

Deno.test("parseSimulateArgs() applies defaults: 1s, seed 1, prefix sim, from now, speed max", () => {
  const config = parseSimulateArgs(BASE, {}, NOW);
  assert.deepEqual(config, {
    masterUrl: "ws://10.0.0.5:7863/ws/worker",
    token: "secret-token",
    workers: 20,
    intervalMs: 1000,
    durationMs: undefined,
    seed: "1",
    faults: [],
    faultsOut: undefined,
    namePrefix: "sim",
    startMs: NOW,
    speed: Infinity,
    help: false,
  });
});

Deno.test("parseSimulateArgs() reads every flag, and master/token from the environment", () => {
  const config = parseSimulateArgs(
    [
      "--workers=5",
      "--interval=500ms",
      "--duration=10m",
      "--seed=abc",
      "--name-prefix=lab",
      "--start=now-1h",
      "--speed=60",
      "--faults=disk@1m+1m:lab-0004",
      "--faults-out=/tmp/f.json",
    ],
    { GRIDMON_MASTER: "ws://h:1/ws/worker", GRIDMON_TOKEN: "env-token-1" },
    NOW,
  );
  assert.equal(config.masterUrl, "ws://h:1/ws/worker");
  assert.equal(config.token, "env-token-1");
  assert.equal(config.intervalMs, 500);
  assert.equal(config.durationMs, 600_000);
  assert.equal(config.seed, "abc");
  assert.equal(config.namePrefix, "lab");
  assert.equal(config.startMs, NOW - 3_600_000);
  assert.equal(config.speed, 60);
  assert.equal(config.faults.length, 1);
  assert.equal(config.faults[0].name, "lab-0004");
  assert.equal(config.faults[0].start, NOW - 3_600_000 + 60_000);
  assert.equal(config.faultsOut, "/tmp/f.json");
});

Deno.test("parseStart() takes now, now-D, -D, epoch ms and ISO dates", () => {
  assert.equal(parseStart("now", NOW), NOW);
  assert.equal(parseStart("now-90s", NOW), NOW - 90_000);
  assert.equal(parseStart("-2h", NOW), NOW - 7_200_000);
  assert.equal(parseStart("1763700000000", NOW), 1763700000000);
  assert.equal(parseStart("2026-11-21T05:00:00Z", NOW), NOW - 3_600_000);
  assert.throws(() => parseStart("yesterday", NOW), UsageError);
  assert.throws(() => parseStart("2026-13-45", NOW), /--start: "2026-13-45" is not a time/);
});

Deno.test("parseSpeed() takes max or a positive number", () => {
  assert.equal(parseSpeed("max"), Infinity);
  assert.equal(parseSpeed("2.5"), 2.5);
  for (const bad of ["0", "-1", "fast", "1e9", ""]) {
    assert.throws(() => parseSpeed(bad), UsageError);
  }
});

Deno.test("parseSimulateArgs() refuses bad or missing flags with one clear line", () => {
  const cases: [string[], RegExp][] = [
    [["--token", "t", "--workers", "1"], /simulate: --master is required/],
    [["--master", "h", "--workers", "1"], /simulate: --token is required/],
    [["--master", "h", "--token", "t"], /simulate: --workers is required/],
    [[...BASE.slice(0, 4), "--workers", "0"], /--workers: 0 is out of range \(1 to 100000\)/],
    [[...BASE.slice(0, 4), "--workers", "many"], /--workers: "many" is not a whole number/],
    [[...BASE, "--interval", "10ms"], /--interval: 10ms is out of range/],
    [[...BASE, "--duration", "0s"], /--duration: must be longer than 0/],
    [[...BASE, "--duration", "forever"], /--duration: "forever" is not a duration/],
    [[...BASE, "--name-prefix", "bad prefix"], /--name-prefix: "bad prefix" must be/],
    [[...BASE, "--speed", "warp"], /--speed: "warp" is not max or a number/],
    [[...BASE, "--start", "soon"], /--start: "soon" is not a time/],
    [[...BASE, "--faults", "cpu@1s+1s:sim-0099"], /--faults: machine "sim-0099" does not exist/],
    [[...BASE, "--faults", "random:2"], /random:K needs --duration or a --start in the past/],
    [[...BASE, "--start", "now-30s", "--faults", "random:2"], /random:K needs a --duration/],
    [[...BASE, "--faults-out", ""], /--faults-out: needs a file name/],
    [[...BASE, "--master", "ftp://x"], /--master: "ftp:\/\/x" is not a master address/],
    [[...BASE, "--bogus"], /simulate: unknown flag --bogus/],
    [[...BASE, "--token", "x".repeat(300)], /--token: longer than 256 characters/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseSimulateArgs(argv, {}, NOW), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${argv.join(" ")}: ${error}`);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
});

Deno.test("random faults of a run from the past with no --duration fall between --start and now", () => {
  const config = parseSimulateArgs(
    [...BASE, "--workers", "5", "--start", "now-1h", "--faults", "random:3"],
    {},
    NOW,
  );
  assert.equal(config.faults.length, 3);
  for (const fault of config.faults) {
    assert.ok(fault.start >= NOW - 3_600_000 && fault.end <= NOW, JSON.stringify(fault));
  }
});

Deno.test("parseSimulateArgs() with --help needs no other flag", () => {
  assert.equal(parseSimulateArgs(["--help"], {}, NOW).help, true);
});
