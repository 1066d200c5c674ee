import assert from "node:assert/strict";
import { DEFAULT_NET_EXCLUDE } from "../../../src/cli/worker_args.ts";
import {
  createNetworkCollector,
  interfaceFilter,
  netMetrics,
  parseNetDev,
} from "../../../src/worker/collectors/network.ts";
import { KERNELS, readFixture } from "./fixtures.ts";

for (const kernel of KERNELS) {
  Deno.test(`parseNetDev() skips the two header lines of ${kernel}`, () => {
    const interfaces = parseNetDev(readFixture(`${kernel}/proc/net/dev`));
    assert.ok(interfaces.has("lo") && interfaces.has("eth0"));
    assert.ok(interfaces.get("eth0")!.rxBytes > 0);
    assert.equal(interfaces.get("lo")!.rxBytes, interfaces.get("lo")!.txBytes);
  });
}

Deno.test("parseNetDev() reads counters glued to the colon (old kernels)", () => {
  const text =
    "Inter-|   Receive\n face |bytes\n  eth0:123456789012 5 0 1 0 0 0 0 77 6 2 3 0 0 0 0\n";
  const eth0 = parseNetDev(text).get("eth0")!;
  assert.deepEqual(eth0, {
    rxBytes: 123456789012,
    rxPackets: 5,
    rxErrors: 0,
    rxDrops: 1,
    txBytes: 77,
    txPackets: 6,
    txErrors: 2,
    txDrops: 3,
  });
});

Deno.test("parseNetDev() rejects a file without its header", () => {
  assert.throws(() => parseNetDev(readFixture("malformed/net_dev_no_header")), {
    name: "TypeError",
    message: "Cannot parse /proc/net/dev: the two header lines are missing",
  });
});

Deno.test("parseNetDev() rejects a file cut off mid-line", () => {
  assert.throws(
    () => parseNetDev(readFixture("malformed/net_dev_truncated")),
    /Cannot parse \/proc\/net\/dev line 3: "lo" has 13 counters, expected 16/,
  );
});

Deno.test("netMetrics() is null on the first reading, a rate after", () => {
  const a = parseNetDev(readFixture("linux-6.18/proc/net/dev")).get("eth0")!;
  const b = {
    ...a,
    rxBytes: a.rxBytes + 5000,
    txPackets: a.txPackets + 10,
    rxDrops: a.rxDrops + 1,
  };
  assert.equal(netMetrics("eth0", undefined, b, 1000).rxBps, null);
  const m = netMetrics("eth0", a, b, 500);
  assert.equal(m.rxBps, 10000);
  assert.equal(m.txPps, 20);
  assert.equal(m.rxDrops, 2);
  assert.equal(m.txBps, 0);
});

Deno.test("netMetrics() handles a 32-bit counter wrap", () => {
  const a = parseNetDev(readFixture("linux-6.1/proc/net/dev")).get("eth0")!;
  const m = netMetrics("eth0", { ...a, rxBytes: 2 ** 32 - 100 }, { ...a, rxBytes: 900 }, 1000);
  assert.equal(m.rxBps, 1000);
});

Deno.test("interfaceFilter() leaves out lo and virtual interfaces by default", () => {
  const keep = interfaceFilter(new RegExp(DEFAULT_NET_EXCLUDE));
  const names = ["lo", "eth0", "ifb0", "veth12ab", "docker0", "br-5f2", "wlan0", "enp3s0"];
  assert.deepEqual(names.filter(keep), ["eth0", "wlan0", "enp3s0"]);
});

Deno.test("interfaceFilter() lets an include pattern win over the default exclude", () => {
  const keep = interfaceFilter(new RegExp(DEFAULT_NET_EXCLUDE), /^lo$/);
  assert.deepEqual(["lo", "eth0"].filter(keep), ["lo"]);
});

Deno.test("interfaceFilter() applies an explicit exclude after the include", () => {
  const keep = interfaceFilter(/^eth1$/, /^eth/);
  assert.deepEqual(["lo", "eth0", "eth1"].filter(keep), ["eth0"]);
});

Deno.test("createNetworkCollector() reports only kept interfaces", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/net`);
    await Deno.writeTextFile(`${root}/net/dev`, readFixture("linux-6.18/proc/net/dev"));
    const collector = createNetworkCollector(
      root,
      interfaceFilter(new RegExp(DEFAULT_NET_EXCLUDE)),
    );
    const { net } = await collector.collect();
    assert.deepEqual(net!.map((n) => n.iface), ["eth0"]);
    assert.equal(net![0].rxBps, null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
