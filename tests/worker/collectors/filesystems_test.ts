import assert from "node:assert/strict";
import { createFailureLog } from "../../../src/worker/collectors/failure_log.ts";
import {
  createFilesystemCollector,
  filesystemMetrics,
  type FsStats,
} from "../../../src/worker/collectors/filesystems.ts";
import {
  parseMountinfo,
  selectMounts,
  unescapeMountField,
} from "../../../src/worker/collectors/mountinfo.ts";
import { fixture, KERNELS, readFixture } from "./fixtures.ts";

for (const kernel of KERNELS) {
  Deno.test(`parseMountinfo() reads every mount of ${kernel}`, () => {
    const entries = parseMountinfo(readFixture(`${kernel}/proc/self/mountinfo`));
    const mounts = readFixture(`${kernel}/proc/mounts`).trim().split("\n");
    assert.equal(entries.length, mounts.length);
    assert.ok(entries.some((e) => e.fstype === "proc" && e.mountPoint === "/proc"));
  });
}

Deno.test("selectMounts() skips pseudo filesystems (6.18: proc, sysfs, tmpfs, cgroup, devpts ...)", () => {
  const selected = selectMounts(parseMountinfo(readFixture("linux-6.18/proc/self/mountinfo")));
  assert.deepEqual(selected.map((m) => [m.mountPoint, m.fstype, m.source]), [[
    "/",
    "ext4",
    "/dev/vda",
  ]]);
});

Deno.test("selectMounts() reports a bind-mounted filesystem once (6.1: /mnt/data and /mnt/bind)", () => {
  const selected = selectMounts(parseMountinfo(readFixture("linux-6.1/proc/self/mountinfo")));
  assert.deepEqual(selected.map((m) => m.mountPoint), ["/mnt/data"]);
});

Deno.test("selectMounts() prefers the mount of the filesystem's root over a subdirectory bind", () => {
  const text = [
    "30 1 8:1 /srv/www /var/www rw - ext4 /dev/sda1 rw",
    "31 1 8:1 / /data rw - ext4 /dev/sda1 rw",
    "32 1 0:50 / /mnt/nfs rw - nfs4 server:/export rw",
    "33 1 0:51 / /mnt/nfs2 rw - nfs4 server:/export2 rw",
    "34 1 0:60 / / rw - overlay overlay rw",
    "35 1 0:61 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw",
  ].join("\n");
  assert.deepEqual(selectMounts(parseMountinfo(text)).map((m) => m.mountPoint), [
    "/data",
    "/mnt/nfs",
    "/mnt/nfs2",
    "/",
  ]);
});

Deno.test("parseMountinfo() decodes escaped spaces and skips optional fields", () => {
  const [entry] = parseMountinfo(
    "36 35 98:0 / /mnt/my\\040disk rw shared:1 master:2 - ext3 /dev/root rw\n",
  );
  assert.deepEqual(entry, {
    device: "98:0",
    root: "/",
    mountPoint: "/mnt/my disk",
    fstype: "ext3",
    source: "/dev/root",
  });
  assert.equal(unescapeMountField("a\\011b\\134c"), "a\tb\\c");
});

Deno.test("parseMountinfo() rejects a file cut off mid-line", () => {
  assert.throws(
    () => parseMountinfo(readFixture("malformed/mountinfo_truncated")),
    {
      name: "RangeError",
      message: 'Cannot parse /proc/self/mountinfo line 4: "25 24 0:23 / /dev/shm"',
    },
  );
});

Deno.test("filesystemMetrics() computes used like df, reserved blocks excluded", () => {
  const stats: FsStats = { bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 };
  const metrics = filesystemMetrics(
    { device: "8:1", root: "/", mountPoint: "/", fstype: "ext4", source: "/dev/sda1" },
    stats,
  );
  assert.deepEqual(metrics, {
    mount: "/",
    fstype: "ext4",
    device: "/dev/sda1",
    size: 4096000,
    used: 700 * 4096,
    free: 250 * 4096,
    usedPct: (700 / 950) * 100,
  });
});

function mountinfoRoot(lines: string[]): Promise<string> {
  return Deno.makeTempDir().then(async (root) => {
    await Deno.mkdir(`${root}/self`);
    await Deno.writeTextFile(`${root}/self/mountinfo`, lines.join("\n") + "\n");
    return root;
  });
}

Deno.test("createFilesystemCollector() does not wait for a hung statfs and logs it once", async () => {
  const root = await mountinfoRoot([
    "1 0 8:1 / / rw - ext4 /dev/sda1 rw",
    "2 1 0:50 / /mnt/nfs rw - nfs4 server:/export rw",
  ]);
  const logged: string[] = [];
  let hungCalls = 0;
  const never = new Promise<FsStats>(() => {});
  const collector = createFilesystemCollector({
    procRoot: root,
    failures: createFailureLog((m) => logged.push(m)),
    timeoutMs: 50,
    refreshMs: 0,
    statfs: (path) => {
      if (path === "/mnt/nfs") {
        hungCalls++;
        return never;
      }
      return Promise.resolve({ bsize: 1024, blocks: 100, bfree: 50, bavail: 50 });
    },
  });
  try {
    for (let i = 0; i < 3; i++) {
      const { filesystems } = await collector.collect();
      assert.deepEqual(filesystems!.map((f) => f.mount), ["/"]);
    }
    assert.equal(hungCalls, 1, "a hung mount is not asked again while its statfs is pending");
    assert.deepEqual(logged, [
      "filesystems /mnt/nfs: statfs took over 50 ms (its metrics are left out until it recovers)",
      "filesystems /mnt/nfs: statfs still hanging (its metrics are left out until it recovers)",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createFilesystemCollector() leaves out a mount whose statfs fails", async () => {
  const root = await mountinfoRoot([
    "1 0 8:1 / / rw - ext4 /dev/sda1 rw",
    "2 1 8:2 / /gone rw - xfs /dev/sda2 rw",
  ]);
  const logged: string[] = [];
  const collector = createFilesystemCollector({
    procRoot: root,
    failures: createFailureLog((m) => logged.push(m)),
    refreshMs: 0,
    statfs: (path) =>
      path === "/gone"
        ? Promise.reject(new Deno.errors.NotFound("No such file or directory"))
        : Promise.resolve({ bsize: 1024, blocks: 100, bfree: 50, bavail: 50 }),
  });
  try {
    await collector.collect();
    const { filesystems } = await collector.collect();
    assert.deepEqual(filesystems!.map((f) => f.mount), ["/"]);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /^filesystems \/gone: statfs failed: No such file or directory/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createFilesystemCollector() repeats the last values until refreshMs has passed", async () => {
  const root = await mountinfoRoot(["1 0 8:1 / / rw - ext4 /dev/sda1 rw"]);
  let now = 0;
  let calls = 0;
  const collector = createFilesystemCollector({
    procRoot: root,
    failures: createFailureLog(() => {}),
    refreshMs: 10_000,
    clock: () => now,
    statfs: () => {
      calls++;
      return Promise.resolve({ bsize: 1024, blocks: 100, bfree: 100 - calls, bavail: 100 - calls });
    },
  });
  try {
    const used = async () => (await collector.collect()).filesystems!.map((f) => f.used);
    assert.deepEqual(await used(), [1024]);
    now = 9_999;
    assert.deepEqual(await used(), [1024]);
    assert.equal(calls, 1);
    now = 10_000;
    assert.deepEqual(await used(), [2048]);
    assert.equal(calls, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createFilesystemCollector() statfs-es the real root on this machine", async () => {
  const collector = createFilesystemCollector({
    procRoot: fixture("linux-6.18/proc"),
    failures: createFailureLog(() => {}),
  });
  const { filesystems } = await collector.collect();
  assert.equal(filesystems!.length, 1);
  assert.ok(filesystems![0].size > 0 && filesystems![0].used > 0);
});
