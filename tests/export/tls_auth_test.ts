/**
 * https with a custom CA, bearer and basic auth, against a real vmauth (TLS, users) in front of
 * VictoriaMetrics: each master's samples arrive; a master without credentials gets 401, which
 * drops its batches with a log line.
 */
import assert from "node:assert/strict";
import { makeCertificates, startVictoriaMetrics, startVmAuth } from "./db_servers.ts";
import {
  masterMetrics,
  promCounts,
  simulate,
  startExportingMaster,
  storedCounts,
  waitForTotal,
} from "./export_scenario.ts";

const USERS = { bearer: "bearer-token-0123", user: "alice", password: "s3cret:pw" };

Deno.test({
  name:
    "remote write over https with --remote-ca: bearer token and basic auth pass vmauth, no credentials are refused",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gridmon-tls-" });
    const tls = await makeCertificates(dir);
    const tokenFile = `${dir}/token`;
    await Deno.writeTextFile(tokenFile, `${USERS.bearer}\n`);
    const vm = await startVictoriaMetrics();
    const auth = await startVmAuth(vm.url, USERS, tls);
    const port = new URL(auth.url).port;
    const basicUrl = `https://${USERS.user}:${
      encodeURIComponent(USERS.password)
    }@127.0.0.1:${port}/api/v1/write`;
    const bearer = await startExportingMaster([
      "--remote-write",
      auth.writeUrl,
      "--remote-ca",
      tls.ca,
      "--remote-bearer-token-file",
      tokenFile,
      "--external-label",
      "master=bearer",
    ]);
    const basic = await startExportingMaster([
      "--remote-write",
      basicUrl,
      "--remote-ca",
      tls.ca,
      "--external-label",
      "master=basic",
    ]);
    const anonymous = await startExportingMaster([
      "--remote-write",
      auth.writeUrl,
      "--remote-ca",
      tls.ca,
    ]);
    try {
      const [a, b] = await Promise.all([
        simulate(bearer, { workers: 2, seconds: 20, seed: "bearer", prefix: "bearer" }),
        simulate(basic, { workers: 2, seconds: 20, seed: "basic", prefix: "basic" }),
        simulate(anonymous, { workers: 1, seconds: 5, seed: "anon", prefix: "anon" }),
      ]);
      const at = Date.now();
      await waitForTotal(() => promCounts(vm.url, "gridmon_anomalous", at), a.acked + b.acked);
      let text = "";
      for (let i = 0; i < 100 && !/reason="rejected"\} [1-9]/.test(text); i++) {
        text = await masterMetrics(anonymous);
        await new Promise((r) => setTimeout(r, 200));
      }
      await Promise.all([bearer.stop(), basic.stop(), anonymous.stop()]);
      for (const [name, master] of [["bearer", bearer], ["basic", basic]] as const) {
        assert.deepEqual(
          await promCounts(vm.url, "gridmon_anomalous", at, `,master="${name}"`),
          storedCounts(master.dataDir),
          name,
        );
      }
      assert.match(text, /gridmon_remote_values_dropped_total\{[^}]*reason="rejected"\} [1-9]/);
      assert.match(anonymous.output(), /refused a batch for good \(HTTP 401/);
      const shown = bearer.output() + basic.output();
      assert.ok(
        !shown.includes(USERS.password) && !shown.includes(USERS.bearer),
        "no secret in logs",
      );
      assert.deepEqual(
        await promCounts(vm.url, "gridmon_anomalous", at, `,name=~"anon.*"`),
        new Map(),
      );
    } finally {
      await Promise.all([bearer.cleanup(), basic.cleanup(), anonymous.cleanup()]);
      await auth.close();
      await vm.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("remote write over https without --remote-ca: the unknown CA is a network error, retried, never sent in clear", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon-tls-" });
  const tls = await makeCertificates(dir);
  const vm = await startVictoriaMetrics();
  const auth = await startVmAuth(vm.url, USERS, tls);
  const master = await startExportingMaster(["--remote-write", auth.writeUrl]);
  try {
    await simulate(master, { workers: 1, seconds: 5, seed: "noca" });
    let text = "";
    for (let i = 0; i < 100 && !/requests_failed_total\{[^}]*\} [1-9]/.test(text); i++) {
      text = await masterMetrics(master);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(text, /gridmon_remote_requests_failed_total\{[^}]*\} [1-9]/);
    assert.match(text, /gridmon_remote_queue_batches\{[^}]*\} [1-9]/);
    assert.match(
      master.output(),
      /write failed \(.*(certificate|UnknownIssuer|invalid peer).*\); keeping batches/i,
    );
  } finally {
    await master.cleanup();
    await auth.close();
    await vm.close();
    await Deno.remove(dir, { recursive: true });
  }
});
