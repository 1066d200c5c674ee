/**
 * End to end on this machine: a real master monitoring its own host (its local worker scans
 * processes every 5 s), a `stress-ng --cpu 1` started by the test once the detector has warmed
 * up, and what the master says about the time the stressor ran: an anomaly event of that time
 * names stress-ng; whether or not the detector fires (on a machine already busy, one more core
 * of load may be nothing unusual), the process API at that time names it too.
 */
import assert from "node:assert/strict";
import type { ProcessHistory, ProcessSnapshot } from "../../src/master/store/process_query.ts";
import type { AnomalyEvent } from "../../src/master/store/store_types.ts";
import { measureFor } from "../../src/protocol/describe_processes.ts";
import { spawnMaster } from "../simulate/master_process.ts";

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

Deno.test({
  name: "a master watching its host names the stress-ng the test started, at the time it ran",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "gridmon_process_e2e_" });
    const master = await spawnMaster({
      token: "process-e2e-join-token",
      dataDir,
      localWorker: true,
    });
    const auth = { Authorization: `Bearer ${master.accessToken}` };
    const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${master.httpUrl}${path}`, { headers: auth });
      return { status: response.status, body: await response.json() };
    };
    let stress: Deno.ChildProcess | undefined;
    try {
      const id = await waitFor("the local machine", async () => {
        const { body } = await get<{ id: string }[]>("/api/machines");
        return body[0]?.id;
      });
      // Two scans, so the next one measures CPU; and a detector past its warm-up (a score).
      await waitFor("a measured process scan", async () => {
        const { status, body } = await get<ProcessSnapshot>(`/api/machines/${id}/processes`);
        return status === 200 && body.spanMs !== null ? true : undefined;
      });
      await waitFor("the detector's first score", async () => {
        const { body } = await get<{ anomaly: { score: number | null } }>(`/api/machines/${id}`);
        return body.anomaly.score === null ? undefined : true;
      }, 300_000);
      const startedAt = Date.now();
      // nice -10 (the suite runs as root): on the shared, loaded machine a stressor at nice 0
      // can get a few percent of a core.
      stress = new Deno.Command("nice", {
        args: ["-n", "-10", "stress-ng", "--cpu", "1", "--timeout", "60s", "--quiet"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const stressor = await waitFor("the stressor", () => {
        const children = Deno.readTextFileSync(`/proc/${stress!.pid}/task/${stress!.pid}/children`);
        return Promise.resolve(
          children.trim() === "" ? undefined : Number(children.trim().split(" ")[0]),
        );
      }, 10_000);

      // A scan that measured the stressor over a whole span of its run.
      const snapshot = await waitFor("a scan covering the stress", async () => {
        const { body } = await get<ProcessSnapshot>(`/api/machines/${id}/processes`);
        return body.t - (body.spanMs ?? Infinity) > startedAt ? body : undefined;
      });
      // What ran at a time inside that scan's span, as a click on a chart would ask.
      const at = snapshot.t - Math.round(snapshot.spanMs! / 2);
      const { status, body } = await get<ProcessSnapshot>(
        `/api/machines/${id}/processes?at=${at}&sort=cpu&limit=10`,
      );
      assert.equal(status, 200);
      assert.equal(body.t, snapshot.t);
      const named = body.processes.find((p) => p.pid === stressor);
      assert.ok(
        named,
        `stress-ng among the top 10 by CPU at ${at}: ${JSON.stringify(body.processes)}`,
      );
      assert.match(named.name, /^stress-ng/);
      assert.ok(named.cpu! > 10, `stress-ng at ${named.cpu} %`);

      // An anomaly event while it ran, if the detector opened one, names it.
      await new Promise((resolve) => setTimeout(resolve, 15_000));
      const events = (await get<AnomalyEvent[]>(`/api/anomalies?machine=${id}&from=${startedAt}`))
        .body.filter((e) =>
          e.start >= startedAt && measureFor(e.causes[0]?.metric ?? e.reason) === "cpu"
        );
      for (const event of events) {
        const names = (event.processes ?? []).map((p) => p.name);
        assert.ok(names.some((n) => n.startsWith("stress-ng")), JSON.stringify(event));
      }
      console.log(`process e2e: ${events.length} CPU anomaly event(s) while stress-ng ran`);

      // Its own history: nothing before it started, busy while it ran.
      const history = await get<ProcessHistory>(
        `/api/machines/${id}/processes/history?pid=${stressor}&start=${named.start}` +
          `&from=${startedAt - 30_000}&to=${snapshot.t}&points=1000`,
      );
      assert.equal(history.status, 200);
      const busy = history.body.t.filter((_, i) => (history.body.cpu[i] ?? 0) > 10);
      assert.ok(
        busy.length > 0 && busy.every((t) => t >= startedAt - 1000),
        JSON.stringify(history.body),
      );
    } finally {
      if (stress) {
        stress.kill("SIGTERM");
        await stress.status;
      }
      await master.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
