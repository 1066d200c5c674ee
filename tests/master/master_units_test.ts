import assert from "node:assert/strict";
import { checkTimestamp } from "../../src/master/clock_skew.ts";
import { offlineAfterMs } from "../../src/master/fleet_state.ts";
import { isWildcard, pickLanAddress } from "../../src/master/lan_address.ts";
import { originMatchesHost } from "../../src/master/origin_check.ts";
import { masterPermissionFlags, masterV8FlagsArg } from "../../src/master/permissions.ts";
import { BadRequestError, intParam, timeRange } from "../../src/master/query_params.ts";
import { createTokenBucket } from "../../src/master/token_bucket.ts";

Deno.test("checkTimestamp() clamps far-future and far-past times to the receive time", () => {
  const now = 1_800_000_000_000;
  assert.deepEqual(checkTimestamp(now - 1000, now), { ts: now - 1000, skewed: false });
  assert.deepEqual(checkTimestamp(now + 60_000, now), { ts: now + 60_000, skewed: false });
  assert.deepEqual(checkTimestamp(now + 10 * 60_000, now), { ts: now, skewed: true });
  assert.deepEqual(checkTimestamp(now - 8 * 86_400_000, now), { ts: now, skewed: true });
  assert.deepEqual(checkTimestamp(now - 6 * 86_400_000, now), {
    ts: now - 6 * 86_400_000,
    skewed: false,
  });
});

Deno.test("offlineAfterMs() is three intervals, at least five seconds", () => {
  assert.equal(offlineAfterMs(250), 5000);
  assert.equal(offlineAfterMs(1000), 5000);
  assert.equal(offlineAfterMs(10_000), 30_000);
});

Deno.test("createTokenBucket() allows a burst of its capacity, then its rate", () => {
  const bucket = createTokenBucket(3, 1);
  assert.deepEqual([1, 2, 3, 4].map(() => bucket.take(0)), [true, true, true, false]);
  assert.equal(bucket.take(999), false);
  assert.equal(bucket.take(1000), true);
  assert.throws(() => createTokenBucket(0, 1), RangeError);
});

Deno.test("originMatchesHost() needs an http(s) Origin naming the same host and port", () => {
  assert.equal(originMatchesHost("http://10.0.0.5:7863", "10.0.0.5:7863"), true);
  assert.equal(originMatchesHost("https://Master.lan:7863", "master.lan:7863"), true);
  assert.equal(originMatchesHost("http://10.0.0.5:7864", "10.0.0.5:7863"), false);
  assert.equal(originMatchesHost("http://evil.example", "10.0.0.5:7863"), false);
  assert.equal(originMatchesHost("null", "10.0.0.5:7863"), false);
  assert.equal(originMatchesHost(undefined, "10.0.0.5:7863"), false);
  assert.equal(originMatchesHost("file://10.0.0.5:7863", "10.0.0.5:7863"), false);
});

Deno.test("intParam() and timeRange() explain bad values with BadRequestError", () => {
  assert.equal(intParam({}, "points", 1000, 1, 10_000), 1000);
  assert.equal(intParam({ points: "5" }, "points", 1000, 1, 10_000), 5);
  assert.throws(() => intParam({ points: "5x" }, "points", 1000, 1, 10), BadRequestError);
  assert.throws(() => intParam({ points: "11" }, "points", 1000, 1, 10), /out of range/);
  assert.deepEqual(timeRange({}, 10_000, 1000), { from: 9000, to: 10_000 });
  assert.deepEqual(timeRange({ to: "500" }, 10_000, 1000), { from: 0, to: 500 });
  assert.throws(() => timeRange({ from: "5", to: "5" }, 10_000, 1000), /must be before/);
});

Deno.test("pickLanAddress() skips loopback, link-local and IPv6 addresses", () => {
  const nic = (address: string, family: "IPv4" | "IPv6") => ({
    family,
    name: "eth0",
    address,
    netmask: "",
    scopeid: null,
    cidr: "",
    mac: "",
  });
  assert.equal(
    pickLanAddress([nic("127.0.0.1", "IPv4"), nic("fe80::1", "IPv6"), nic("169.254.1.1", "IPv4")]),
    undefined,
  );
  assert.equal(
    pickLanAddress([nic("127.0.0.1", "IPv4"), nic("192.168.1.101", "IPv4")]),
    "192.168.1.101",
  );
  assert.equal(isWildcard("0.0.0.0"), true);
  assert.equal(isWildcard("127.0.0.1"), false);
});

Deno.test("masterPermissionFlags() is --allow-all with the local worker on Linux, scoped without", () => {
  assert.deepEqual(masterPermissionFlags({ dataDir: "/d", os: "linux" }), ["--allow-all"]);
  assert.deepEqual(masterPermissionFlags({ dataDir: "/d", os: "linux", localWorker: false }), [
    "--allow-read=/d",
    "--allow-write=/d",
    "--allow-net",
    "--allow-sys=hostname,networkInterfaces",
    "--allow-env=GRIDMON_*,LOG_TOKENS,LOG_STREAM,WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE",
  ]);
  const withRules = masterPermissionFlags({
    dataDir: "/d",
    os: "linux",
    localWorker: false,
    alertsFile: "/etc/a.yaml",
  });
  assert.equal(withRules[0], "--allow-read=/d,/etc/a.yaml");
  const mac = masterPermissionFlags({ dataDir: "/d", os: "darwin" });
  assert.ok(mac.includes("--allow-write=/d"));
  assert.ok(mac.some((f) => f.startsWith("--allow-sys=") && f.includes("cpus")));
});

Deno.test("the deno.json master tasks run with MASTER_V8_FLAGS", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const task of ["start", "master", "dev"]) {
    assert.ok(config.tasks[task].split(" ").includes(masterV8FlagsArg()), config.tasks[task]);
  }
});
