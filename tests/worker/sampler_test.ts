import assert from "node:assert/strict";
import { DEFAULT_NET_EXCLUDE } from "../../src/cli/worker_args.ts";
import { SampleSchema } from "../../src/protocol/sample.ts";
import { createSampler } from "../../src/worker/sampler.ts";
import type { SamplerOptions } from "../../src/worker/sampler_types.ts";
import { fixture, readFixture } from "./collectors/fixtures.ts";

/** A writable copy of a fixture kernel's proc tree, so a test can break or advance files. */
async function procCopy(kernel: string): Promise<string> {
  const root = await Deno.makeTempDir();
  const files = [
    "stat",
    "meminfo",
    "loadavg",
    "uptime",
    "diskstats",
    "net/dev",
    "self/mountinfo",
    "pressure/cpu",
    "pressure/memory",
    "pressure/io",
    "sys/kernel/osrelease",
    "sys/kernel/hostname",
  ];
  for (const file of files) {
    await Deno.mkdir(`${root}/proc/${file}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.copyFile(fixture(`${kernel}/proc/${file}`), `${root}/proc/${file}`);
  }
  return root;
}

function options(root: string, log: string[]): SamplerOptions {
  return {
    procRoot: `${root}/proc`,
    sysRoot: fixture("linux-6.1/sys"),
    netExclude: new RegExp(DEFAULT_NET_EXCLUDE),
    stateDir: `${root}/state`,
    log: (m) => log.push(m),
  };
}

Deno.test("createSampler() reads a whole kernel tree into a valid sample, rates null at first", async () => {
  const root = await procCopy("linux-6.1");
  try {
    const log: string[] = [];
    const sampler = createSampler(options(root, log), { machineIdFiles: [], os: "linux" });
    const sample = await sampler.read();
    SampleSchema.parse({ ...sample, seq: 0 });
    assert.equal(sample.cpu?.usage, null);
    assert.deepEqual(sample.disks!.map((d) => [d.name, d.readBps]), [["vda", null], ["vdb", null]]);
    assert.deepEqual(sample.net!.map((n) => [n.iface, n.rxBps]), [["eth0", null]]);
    assert.equal(sample.mem!.total, 481028 * 1024);
    assert.equal(typeof sample.pressure?.io?.some10, "number");
    assert.equal(sample.temps, undefined, "no hwmon in this kernel's tree: absent");
    assert.equal(sample.machineId, (await Deno.readTextFile(`${root}/state/machine-id`)).trim());
    assert.deepEqual(log.filter((m) => !m.startsWith("filesystems ")), []);

    await Deno.writeTextFile(
      `${root}/proc/stat`,
      readFixture("linux-6.1/proc/stat").replace(
        /^cpu {2}(\d+)/m,
        (_, n) => `cpu  ${Number(n) + 50}`,
      ),
    );
    const second = await sampler.read();
    SampleSchema.parse({ ...second, seq: 1 });
    assert.ok(second.cpu!.usage! > 0);
    assert.equal(second.disks![0].readBps, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createSampler() host() reports the tree's kernel, cores and memory", async () => {
  const root = await procCopy("linux-6.1");
  try {
    const sampler = createSampler(options(root, []), { machineIdFiles: [], os: "linux" });
    const host = await sampler.host();
    assert.equal(host.kernel, "6.1.0-56-cloud-amd64");
    assert.equal(host.cores, 2);
    assert.equal(host.memTotal, 481028 * 1024);
    assert.equal(host.os, "linux");
    assert.equal(host.machineId, (await sampler.read()).machineId);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createSampler() leaves out a broken collector, keeps the others, logs once", async () => {
  const root = await procCopy("linux-6.18");
  try {
    await Deno.copyFile(fixture("malformed/stat_truncated"), `${root}/proc/stat`);
    await Deno.remove(`${root}/proc/net/dev`);
    const log: string[] = [];
    const sampler = createSampler(options(root, log), { machineIdFiles: [], os: "linux" });
    for (let i = 0; i < 3; i++) {
      const sample = await sampler.read();
      assert.equal(sample.cpu, undefined);
      assert.equal(sample.net, undefined);
      assert.ok(sample.mem && sample.load && sample.disks && sample.pressure);
      SampleSchema.parse({ ...sample, seq: i });
    }
    const relevant = log.filter((m) => !m.startsWith("filesystems "));
    assert.equal(relevant.length, 2, relevant.join("\n"));
    assert.match(relevant.find((m) => m.startsWith("cpu: "))!, /Cannot parse \/proc\/stat line 3/);
    assert.ok(relevant.some((m) => m.startsWith("network: ") && m.includes("net/dev")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createSampler() on this machine gives schema-valid samples", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    const sampler = createSampler({
      procRoot: "/proc",
      sysRoot: "/sys",
      netExclude: new RegExp(DEFAULT_NET_EXCLUDE),
      stateDir,
      log: () => {},
    });
    const host = await sampler.host();
    assert.ok(host.cores >= 1 && host.memTotal > 0 && host.machineId.length > 0);
    for (let seq = 0; seq < 2; seq++) SampleSchema.parse({ ...(await sampler.read()), seq });
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

for (const os of ["darwin", "windows"]) {
  Deno.test(`createSampler() on ${os} reads what Deno and node:os offer, nothing faked`, async () => {
    const stateDir = await Deno.makeTempDir();
    try {
      const sampler = createSampler({
        procRoot: "/nonexistent",
        sysRoot: "/nonexistent",
        netExclude: new RegExp(DEFAULT_NET_EXCLUDE),
        stateDir,
        log: (m) => assert.fail(m),
      }, { os });
      const host = await sampler.host();
      assert.equal(host.os, os);
      assert.ok(host.cores >= 1 && host.memTotal > 0 && host.kernel);
      await sampler.read();
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the cpu times move
      const sample = await sampler.read();
      SampleSchema.parse({ ...sample, seq: 0 });
      assert.equal(typeof sample.cpu?.usage, "number");
      assert.ok(sample.mem!.total > 0);
      assert.ok(sample.uptime! > 0);
      assert.equal("load" in sample, os !== "windows");
      for (const absent of ["disks", "filesystems", "net", "pressure", "temps", "procs"]) {
        assert.equal(absent in sample, false, absent);
      }
    } finally {
      await Deno.remove(stateDir, { recursive: true });
    }
  });
}
