import assert from "node:assert/strict";
import { parseMasterArgs } from "../../src/cli/master_args.ts";
import { UsageError } from "../../src/cli/errors.ts";

const parse = (argv: string[]) => parseMasterArgs(argv, {}).remote;

Deno.test("--remote-write: repeatable; basic auth leaves the URL and never shows in the display", () => {
  const remote = parse([
    "--remote-write",
    "https://alice:s%3Acret@vm.example:8428/api/v1/write",
    "--remote-write",
    "http://127.0.0.1:9090/api/v1/write",
  ]);
  assert.equal(remote.remotes.length, 2);
  const [a, b] = remote.remotes;
  assert.equal(a.url, "https://vm.example:8428/api/v1/write");
  assert.equal(a.display, "https://vm.example:8428/api/v1/write");
  assert.deepEqual(a.basicAuth, { user: "alice", password: "s:cret" });
  assert.equal(b.basicAuth, undefined);
  assert.equal(remote.queueMaxBytes, 1024 ** 3);
});

Deno.test("--influx-write: 1.x (db, precision ms) and 2.x/3.x (org, bucket) write URLs", () => {
  const v1 = parse(["--influx-write", "http://u:p@influx:8086", "--influx-db", "gridmon"]);
  assert.equal(v1.remotes[0].url, "http://influx:8086/write?db=gridmon&precision=ms");
  assert.equal(v1.remotes[0].display, "http://influx:8086/write");
  assert.deepEqual(v1.remotes[0].basicAuth, { user: "u", password: "p" });
  const v2 = parse([
    "--influx-write",
    "https://influx:8086/",
    "--influx-org",
    "ops",
    "--influx-bucket",
    "fleet",
    "--influx-token-file",
    "/etc/gridmon/influx-token",
  ]);
  assert.equal(
    v2.remotes[0].url,
    "https://influx:8086/api/v2/write?org=ops&bucket=fleet&precision=ms",
  );
  assert.equal(v2.influxTokenFile, "/etc/gridmon/influx-token");
});

Deno.test("--external-label, --remote-header, --remote-queue-max are read", () => {
  const remote = parse([
    "--remote-write",
    "http://vm:8428/api/v1/write",
    "--external-label",
    "master=eu-1",
    "--external-label",
    "site=lab=2",
    "--remote-header",
    "X-Scope-OrgID: team-a",
    "--remote-queue-max",
    "64MiB",
  ]);
  assert.deepEqual(remote.externalLabels, [["master", "eu-1"], ["site", "lab=2"]]);
  assert.deepEqual(remote.headers, { "X-Scope-OrgID": "team-a" });
  assert.equal(remote.queueMaxBytes, 64 * 1024 ** 2);
});

Deno.test("no export flags: no remotes", () => {
  assert.deepEqual(parse([]).remotes, []);
});

Deno.test("bad export flags are refused with the flag and the reason", () => {
  const cases: [string[], RegExp][] = [
    [["--remote-write", "vm:8428"], /--remote-write: .*not supported|not a URL/],
    [["--remote-write", "ftp://vm/x"], /--remote-write: ftp: is not supported/],
    [["--influx-write", "http://i:8086"], /needs --influx-db DB .* or --influx-org/],
    [
      ["--influx-write", "http://i:8086", "--influx-db", "a", "--influx-bucket", "b"],
      /exclude each other/,
    ],
    [
      ["--remote-write", "http://v/w", "--external-label", "machine=x"],
      /machine is a label gridmon sets/,
    ],
    [
      ["--remote-write", "http://v/w", "--external-label", "device=x"],
      /device is a label gridmon sets/,
    ],
    [["--remote-write", "http://v/w", "--external-label", "9bad=x"], /not NAME=VALUE/],
    [["--remote-write", "http://v/w", "--external-label", "__x=1"], /not NAME=VALUE/],
    [["--remote-write", "http://v/w", "--external-label", "a="], /a needs a value/],
    [
      ["--remote-write", "http://v/w", "--external-label", "a=1", "--external-label", "a=2"],
      /a is given twice/,
    ],
    [["--remote-write", "http://v/w", "--remote-header", "novalue"], /not NAME: VALUE/],
    [["--remote-write", "http://v/w", "--remote-header", "Content-Type: x"], /set by gridmon/],
    [["--remote-write", "http://v/w", "--remote-queue-max", "lots"], /--remote-queue-max/],
    [["--remote-write", "http://v/w", "--remote-write", "http://v/w"], /given twice/],
    [["--remote-ca", "/ca.pem"], /--remote-ca: needs --remote-write or --influx-write/],
    [["--influx-db", "x"], /--influx-db: needs --remote-write or --influx-write/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parse(argv), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, message, argv.join(" "));
      return true;
    });
  }
});
