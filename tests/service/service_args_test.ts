import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { parseServiceArgs } from "../../src/cli/service_args.ts";

const TOKEN = "join-token-0123456789";

Deno.test("parseServiceArgs() turns worker install flags into the worker's command line", () => {
  const config = parseServiceArgs(
    "worker",
    "install",
    ["--master", "10.0.0.5", "--token", TOKEN, "--name", "web 1", "--interval", "500ms"],
    {},
    "linux",
  );
  assert.deepEqual(config.args, [
    "--master",
    "ws://10.0.0.5:7863/ws/worker",
    "--name",
    "web 1",
    "--interval",
    "500ms",
  ]);
  assert.equal(config.token, TOKEN);
  assert.equal(config.platform, "linux");
  assert.equal(config.dryRun, false);
});

Deno.test("parseServiceArgs() reads the token from GRIDMON_TOKEN, keeping it off the command line", () => {
  const config = parseServiceArgs("worker", "install", ["--master", "h"], {
    GRIDMON_TOKEN: TOKEN,
  }, "linux");
  assert.equal(config.token, TOKEN);
  assert.ok(!config.args.includes(TOKEN));
});

Deno.test("parseServiceArgs() gives the master its port, bind address and switches", () => {
  const config = parseServiceArgs(
    "master",
    "install",
    ["--port", "8080", "--no-local-worker", "--public-ui"],
    {},
    "darwin",
  );
  assert.deepEqual(config.args, [
    "--port",
    "8080",
    "--bind",
    "0.0.0.0",
    "--no-local-worker",
    "--public-ui",
  ]);
  assert.equal(config.port, 8080);
  assert.equal(config.token, undefined);
  assert.equal(config.platform, "darwin");
});

const BAD: [string, "worker" | "master", "install" | "uninstall", string[], RegExp][] = [
  ["a worker without --master", "worker", "install", ["--token", TOKEN], /--master is required/],
  ["a worker without a token", "worker", "install", ["--master", "h"], /--token is required/],
  ["a short token", "worker", "install", ["--master", "h", "--token", "abc"], /--token: must be/],
  [
    "a token with a quote",
    "worker",
    "install",
    ["--master", "h", "--token", 'abcdefgh"x'],
    /--token: must be/,
  ],
  [
    "a bad master address",
    "worker",
    "install",
    ["--master", "ftp://h", "--token", TOKEN],
    /not a master address/,
  ],
  [
    "a name with a newline",
    "worker",
    "install",
    ["--master", "h", "--token", TOKEN, "--name", "a\nb"],
    /--name: must be/,
  ],
  [
    "an interval out of range",
    "worker",
    "install",
    ["--master", "h", "--token", TOKEN, "--interval", "2h"],
    /--interval/,
  ],
  ["port 0", "master", "install", ["--port", "0"], /--port: 0 is out of range/],
  ["a bind address with a space", "master", "install", ["--bind", "a b"], /--bind/],
  ["an unknown flag", "master", "install", ["--colour"], /unknown flag --colour/],
  ["install flags on uninstall", "worker", "uninstall", ["--master", "h"], /unknown flag --master/],
  ["an unknown platform", "worker", "uninstall", ["--platform", "beos"], /--platform: "beos"/],
  ["an empty root", "worker", "uninstall", ["--root", ""], /--root: must not be empty/],
  ["a stray argument", "worker", "uninstall", ["now"], /unexpected argument "now"/],
];

for (const [what, role, action, argv, message] of BAD) {
  Deno.test(`parseServiceArgs() refuses ${what} with a UsageError`, () => {
    assert.throws(
      () => parseServiceArgs(role, action, argv, {}, "linux"),
      (error) => error instanceof UsageError && message.test(error.message),
    );
  });
}

Deno.test("parseServiceArgs() refuses an unsupported system unless --platform is given", () => {
  assert.throws(
    () => parseServiceArgs("worker", "uninstall", [], {}, "freebsd"),
    (error) => error instanceof UsageError && /not freebsd/.test(error.message),
  );
  assert.equal(
    parseServiceArgs("worker", "uninstall", ["--platform", "linux"], {}, "freebsd").platform,
    "linux",
  );
});
