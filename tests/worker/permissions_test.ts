import assert from "node:assert/strict";
import {
  isDenoGuardedPath,
  masterHostPort,
  workerPermissionFlags,
  workerV8FlagsArg,
} from "../../src/worker/permissions.ts";

Deno.test("workerPermissionFlags() falls back to --allow-all when procfs is at /proc (Deno's guard)", () => {
  assert.deepEqual(workerPermissionFlags({ spoolDir: "/s", os: "linux" }), ["--allow-all"]);
  assert.deepEqual(
    workerPermissionFlags({ spoolDir: "/s", os: "linux", procRoot: "/r/proc" }),
    ["--allow-all"],
    "sysfs still at /sys",
  );
});

Deno.test("workerPermissionFlags() scopes every permission when procfs and sysfs are elsewhere", () => {
  const flags = workerPermissionFlags({
    spoolDir: "/var/lib/gridmon",
    masterHostPort: "10.0.0.5:7863",
    procRoot: "/run/gridmon/proc",
    sysRoot: "/run/gridmon/sys",
    os: "linux",
  });
  assert.deepEqual(flags, [
    "--allow-read=/run/gridmon/proc,/run/gridmon/sys,/etc/machine-id,/var/lib/dbus/machine-id," +
    "/etc/os-release,/usr/lib/os-release,/var/lib/gridmon",
    "--allow-write=/var/lib/gridmon",
    "--allow-sys=hostname",
    "--allow-env=GRIDMON_*",
    "--allow-net=10.0.0.5:7863",
  ]);
});

Deno.test("workerPermissionFlags() on macOS asks for OS facts instead of procfs and no net with --print", () => {
  const flags = workerPermissionFlags({ spoolDir: "/tmp/s", os: "darwin" });
  assert.deepEqual(flags, [
    "--allow-read=/tmp/s",
    "--allow-write=/tmp/s",
    "--allow-sys=hostname,osRelease,cpus,systemMemoryInfo,loadavg,osUptime",
    "--allow-env=GRIDMON_*",
  ]);
});

Deno.test("masterHostPort() makes default ports explicit and keeps IPv6 brackets", () => {
  assert.equal(masterHostPort("ws://192.168.1.101:7863/ws/worker"), "192.168.1.101:7863");
  assert.equal(masterHostPort("wss://example.org/ws/worker"), "example.org:443");
  assert.equal(masterHostPort("ws://example.org/ws/worker"), "example.org:80");
  assert.equal(masterHostPort("ws://[::1]:7863/ws/worker"), "[::1]:7863");
});

Deno.test("isDenoGuardedPath() matches /proc, /sys and /dev trees only", () => {
  assert.ok(isDenoGuardedPath("/proc"));
  assert.ok(isDenoGuardedPath("/sys/class"));
  assert.ok(!isDenoGuardedPath("/procfs"));
  assert.ok(!isDenoGuardedPath("/run/gridmon/proc"));
});

Deno.test("the deno.json worker task runs with WORKER_V8_FLAGS", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.ok(config.tasks.worker.split(" ").includes(workerV8FlagsArg()), config.tasks.worker);
});
