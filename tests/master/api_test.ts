import assert from "node:assert/strict";
import { createAnomalyEmitter, createNullDetection } from "../../src/master/detection_port.ts";
import { CONTENT_SECURITY_POLICY } from "../../src/master/security_headers.ts";
import { openTempStore } from "./real_store.ts";
import { connectWorker, makeSample, startTestMaster, UI_TOKEN, waitFor } from "./test_master.ts";

const BEARER = { Authorization: `Bearer ${UI_TOKEN}` };

async function withMaster(
  fn: (t: Awaited<ReturnType<typeof startTestMaster>>) => Promise<void>,
  options: { publicUi?: boolean } = {},
): Promise<void> {
  const temp = await openTempStore();
  const t = await startTestMaster({ store: temp.store, ...options });
  try {
    await fn(t);
  } finally {
    await t.master.close();
    await temp.dispose();
  }
}

async function getJson(url: string, headers: Record<string, string> = BEARER) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** Streams `count` samples of `machineId` (1 s apart, ending now) and waits for the ack. */
async function stream(ws: string, machineId: string, count: number, hostname?: string) {
  const { socket } = await connectWorker(ws, machineId, hostname === undefined ? {} : { hostname });
  const now = Date.now();
  const samples = Array.from({ length: count }, (_, i) => {
    const s = makeSample(machineId, i, now - (count - 1 - i) * 1000);
    return hostname === undefined ? s : { ...s, hostname };
  });
  socket.send({ type: "samples", v: 1, samples });
  assert.equal((await socket.next()).seq, count - 1);
  return socket;
}

Deno.test("/healthz answers without auth", async () => {
  await withMaster(async (t) => {
    const { status, body } = await getJson(`${t.http}/healthz`, {});
    assert.equal(status, 200);
    assert.equal(body.status, "ok");
    assert.equal(body.machines, 0);
    assert.equal(typeof body.uptimeS, "number");
  });
});

for (
  const path of [
    "/api/machines",
    "/api/anomalies",
    "/api/fleet/series",
    "/api/fleet/sparklines",
    "/metrics",
  ]
) {
  Deno.test(`${path} is 401 JSON without a cookie or bearer token`, async () => {
    await withMaster(async (t) => {
      const bare = await getJson(`${t.http}${path}`, {});
      assert.equal(bare.status, 401);
      assert.equal(bare.body.error, "not logged in");
      const wrong = await getJson(`${t.http}${path}`, { Authorization: "Bearer nope-nope-nope" });
      assert.equal(wrong.status, 401);
      const forged = await getJson(`${t.http}${path}`, {
        Cookie: "gridmon_session=v1.1.abcd.AAAA",
      });
      assert.equal(forged.status, 401);
    });
  });
}

Deno.test("every response carries the security headers", async () => {
  await withMaster(async (t) => {
    for (
      const [path, headers] of [["/healthz", {}], ["/api/machines", {}], ["/api/nope", BEARER]]
    ) {
      const response = await fetch(`${t.http}${path}`, { headers: headers as HeadersInit });
      await response.body?.cancel();
      assert.equal(response.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    }
  });
});

Deno.test("login sets an HttpOnly SameSite=Strict cookie that opens the API; logout revokes it", async () => {
  await withMaster(async (t) => {
    const session0 = await getJson(`${t.http}/api/session`, {});
    assert.deepEqual(session0.body, { authenticated: false, publicUi: false });

    const bad = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: "not-the-token" }),
    });
    assert.equal(bad.status, 401);
    assert.equal(typeof (await bad.json()).error, "string");
    assert.equal(bad.headers.get("set-cookie"), null);

    const good = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: UI_TOKEN }),
    });
    assert.equal(good.status, 204);
    const setCookie = good.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /^gridmon_session=v1\.[^;]+/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    assert.ok(!setCookie.includes(UI_TOKEN), "the token itself is not the cookie");
    const cookie = setCookie.split(";")[0];

    const machines = await getJson(`${t.http}/api/machines`, { Cookie: cookie });
    assert.equal(machines.status, 200);
    const session1 = await getJson(`${t.http}/api/session`, { Cookie: cookie });
    assert.deepEqual(session1.body, { authenticated: true, publicUi: false });

    const logout = await fetch(`${t.http}/api/logout`, {
      method: "POST",
      headers: { Cookie: cookie },
    });
    assert.equal(logout.status, 204);
    assert.match(logout.headers.get("set-cookie") ?? "", /gridmon_session=;.*Max-Age=0/);
    const after = await getJson(`${t.http}/api/machines`, { Cookie: cookie });
    assert.equal(after.status, 401);
  });
});

Deno.test("a malformed login body is a 400 with a clear error", async () => {
  await withMaster(async (t) => {
    const response = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{nope",
    });
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, /JSON/);
  });
});

Deno.test("--public-ui opens the API without a token", async () => {
  await withMaster(async (t) => {
    assert.equal((await getJson(`${t.http}/api/machines`, {})).status, 200);
    assert.deepEqual((await getJson(`${t.http}/api/session`, {})).body, {
      authenticated: true,
      publicUi: true,
    });
  }, { publicUi: true });
});

Deno.test("/api/machines lists machines in the documented shape", async () => {
  await withMaster(async (t) => {
    const socket = await stream(t.ws, "m1", 3);
    const { status, body } = await getJson(`${t.http}/api/machines`);
    assert.equal(status, 200);
    assert.equal(body.length, 1);
    const m = body[0];
    for (
      const key of [
        "id",
        "name",
        "hostname",
        "os",
        "arch",
        "cores",
        "memTotal",
        "agentVersion",
        "intervalMs",
        "online",
        "firstSeen",
        "lastSeen",
        "latest",
        "anomaly",
        "alerts",
      ]
    ) assert.ok(key in m, `missing ${key}`);
    assert.equal(m.id, "m1");
    assert.equal(m.online, true);
    assert.equal(m.latest.seq, 2);
    assert.deepEqual(m.anomaly, { score: null, anomalous: false, reason: null });
    const one = await getJson(`${t.http}/api/machines/m1`);
    assert.deepEqual(one.body, m);
    const missing = await getJson(`${t.http}/api/machines/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: "no machine with that id" });
    await socket.close();
  });
});

Deno.test("a hostile hostname comes back verbatim in JSON", async () => {
  const hostile = `<img src=x onerror=alert(1)>"'\\\n\u2028é`;
  await withMaster(async (t) => {
    const socket = await stream(t.ws, "evil", 1, hostile);
    const { body } = await getJson(`${t.http}/api/machines/evil`);
    assert.equal(body.hostname, hostile);
    assert.equal(body.name, hostile);
    assert.equal(body.latest.hostname, hostile);
    await socket.close();
  });
});

Deno.test("/api/machines/:id/series returns columnar buckets", async () => {
  await withMaster(async (t) => {
    const socket = await stream(t.ws, "m1", 20);
    const to = Date.now() + 1000;
    const { status, body } = await getJson(
      `${t.http}/api/machines/m1/series?from=${
        to - 60_000
      }&to=${to}&points=10&metrics=cpu.usage,disk:`,
    );
    assert.equal(status, 200);
    assert.equal(body.machineId, "m1");
    assert.equal(body.tier, "raw");
    assert.ok(body.t.length > 0 && body.t.length <= 10);
    assert.equal(body.avg["cpu.usage"].length, body.t.length);
    assert.ok("disk:vda:readBps" in body.avg);
    assert.ok(!("mem.usedPct" in body.avg), "only the metrics asked for");
    const values = body.max["cpu.usage"].filter((v: number | null) => v !== null);
    assert.ok(values.length > 0);
    await socket.close();
  });
});

const BAD_SERIES_QUERIES: [string, RegExp][] = [
  ["from=abc", /from: "abc" is not a whole number/],
  ["to=1.5", /to: "1.5" is not a whole number/],
  ["from=2000&to=1000", /from \(2000\) must be before to \(1000\)/],
  ["points=0", /points: 0 is out of range/],
  ["points=10001", /points: 10001 is out of range/],
  ["metrics=cpu.usage,,mem.usedPct", /metrics:/],
  ["from=-5", /from: -5 is out of range/],
];

for (const [query, error] of BAD_SERIES_QUERIES) {
  Deno.test(`/api/machines/:id/series?${query} is a 400 with a clear error`, async () => {
    await withMaster(async (t) => {
      const socket = await stream(t.ws, "m1", 1);
      const { status, body } = await getJson(`${t.http}/api/machines/m1/series?${query}`);
      assert.equal(status, 400);
      assert.match(body.error, error);
      await socket.close();
    });
  });
}

Deno.test("series of an unknown machine is 404", async () => {
  await withMaster(async (t) => {
    const { status } = await getJson(`${t.http}/api/machines/nope/series`);
    assert.equal(status, 404);
  });
});

Deno.test("/api/fleet/series, /api/scatter and /api/anomalies answer in their shapes", async () => {
  await withMaster(async (t) => {
    const a = await stream(t.ws, "a", 5);
    const b = await stream(t.ws, "b", 5);
    const fleet = await getJson(`${t.http}/api/fleet/series?points=5`);
    assert.equal(fleet.status, 200);
    for (const key of ["t", "cpuAvg", "cpuMax", "memAvg", "memMax", "netRxBps", "diskReadBps"]) {
      assert.ok(Array.isArray(fleet.body[key]), key);
    }
    const scatter = await getJson(`${t.http}/api/scatter?limit=100`);
    assert.equal(scatter.status, 200);
    assert.equal(scatter.body.t.length, 10);
    assert.deepEqual([...scatter.body.machines].sort(), ["a", "b"]);
    const oneMachine = await getJson(`${t.http}/api/scatter?machine=a`);
    assert.equal(oneMachine.body.t.length, 5);
    const anomalies = await getJson(`${t.http}/api/anomalies`);
    assert.deepEqual(anomalies.body, []);
    const badLimit = await getJson(`${t.http}/api/anomalies?limit=0`);
    assert.equal(badLimit.status, 400);
    await a.close();
    await b.close();
  });
});

Deno.test("/api/fleet/sparklines: one metric of the machines named (or all), bad ids refused", async () => {
  await withMaster(async (t) => {
    const a = await stream(t.ws, "a", 5);
    const b = await stream(t.ws, "b,with comma", 5);
    const both = await getJson(`${t.http}/api/fleet/sparklines?points=10`);
    assert.equal(both.status, 200);
    assert.equal(both.body.metric, "cpu.usage");
    assert.deepEqual(Object.keys(both.body.machines).sort(), ["a", "b,with comma"]);
    const one = await getJson(
      `${t.http}/api/fleet/sparklines?points=10&id=${encodeURIComponent("b,with comma")}&id=nope`,
    );
    assert.deepEqual(Object.keys(one.body.machines), ["b,with comma"]);
    const { t: times, v } = one.body.machines["b,with comma"];
    assert.equal(times.length, v.length);
    assert.ok(v.some((x: number | null) => typeof x === "number"), "values for its samples");
    const series = await getJson(
      `${t.http}/api/machines/${
        encodeURIComponent("b,with comma")
      }/series?points=10&metrics=cpu.usage&from=${one.body.from}&to=${one.body.to}`,
    );
    assert.deepEqual(v, series.body.avg["cpu.usage"], "the same numbers as the series API");
    const tooLong = await getJson(`${t.http}/api/fleet/sparklines?id=${"x".repeat(129)}`);
    assert.equal(tooLong.status, 400);
    const badPoints = await getJson(`${t.http}/api/fleet/sparklines?points=0`);
    assert.equal(badPoints.status, 400);
    await a.close();
    await b.close();
  });
});

Deno.test("anomaly events show up in /api/anomalies with machineName and as open alerts", async () => {
  const temp = await openTempStore();
  const emitter = createAnomalyEmitter();
  const t = await startTestMaster({
    store: temp.store,
    detection: () => ({ ...createNullDetection(), onEvent: emitter.onEvent }),
  });
  try {
    const socket = await stream(t.ws, "m1", 3);
    const event = {
      machineId: "m1",
      start: Date.now() - 2000,
      end: null,
      peakScore: 0.9,
      reason: "cpu.usage",
      causes: [],
      closeReason: null,
    };
    const id = temp.store.openAnomaly(event);
    emitter.emit({ ...event, id });
    const listed = await getJson(`${t.http}/api/anomalies`);
    assert.deepEqual(
      listed.body.map((e: { id: number; machineName: string }) => [e.id, e.machineName]),
      [
        [id, "host-m1"],
      ],
    );
    assert.equal((await getJson(`${t.http}/api/machines/m1`)).body.alerts, 1);
    emitter.emit({ ...event, id, end: Date.now(), closeReason: "recovered" });
    assert.equal((await getJson(`${t.http}/api/machines/m1`)).body.alerts, 0);
    await socket.close();
  } finally {
    await t.master.close();
    await temp.dispose();
  }
});

Deno.test("a machine whose worker disconnects is reported offline to the detection", async () => {
  const temp = await openTempStore();
  const offline: string[] = [];
  const t = await startTestMaster({
    store: temp.store,
    detection: () => ({
      ...createNullDetection(),
      machineOffline: (machineId: string) => offline.push(machineId),
    }),
  });
  try {
    const socket = await stream(t.ws, "m1", 3);
    assert.equal(offline.length, 0);
    await socket.close();
    await waitFor(() => offline.includes("m1"), "machineOffline(m1)");
  } finally {
    await t.master.close();
    await temp.dispose();
  }
});
