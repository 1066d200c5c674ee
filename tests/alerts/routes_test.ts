import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Hono } from "hono";
import { registerAlertRoutes } from "../../src/alerts/routes.ts";
import { parseAlertConfig } from "../../src/alerts/rules.ts";
import { AlertService } from "../../src/alerts/service.ts";

function setup() {
  const config = parseAlertConfig(`
notifiers:
  hook:
    type: webhook
    url: http://127.0.0.1:1/secret-path
rules:
  - name: high-cpu
    kind: threshold
    metric: cpu.usage
    op: ">"
    value: 90
`);
  const db = new DatabaseSync(":memory:");
  const now = 1_000_000;
  const service = new AlertService({ config, db, now: () => now, log: () => {} });
  const app = new Hono();
  registerAlertRoutes(app, service, () => now);
  return { app, service, db, now };
}

Deno.test("GET /api/alerts/rules lists rules and notifiers without their URLs", async () => {
  const { app, db } = setup();
  const response = await app.request("/api/alerts/rules");
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.equal(text.includes("secret-path"), false);
  const body = JSON.parse(text);
  assert.deepEqual(body.notifiers, [{ name: "hook", type: "webhook" }]);
  assert.equal(body.rules[0].name, "high-cpu");
  db.close();
});

Deno.test("POST /api/alerts/silences adds a silence; DELETE removes it", async () => {
  const { app, db, now } = setup();
  const created = await app.request("/api/alerts/silences", {
    method: "POST",
    body: JSON.stringify({
      rule: "high-cpu",
      machines: "web-*",
      duration: "2h",
      comment: "maintenance",
    }),
  });
  assert.equal(created.status, 201);
  const silence = await created.json();
  assert.equal(silence.until, now + 7_200_000);
  const listed = await (await app.request("/api/alerts/rules")).json();
  assert.deepEqual(listed.silences.runtime.map((s: { id: number }) => s.id), [silence.id]);
  assert.equal(
    (await app.request(`/api/alerts/silences/${silence.id}`, { method: "DELETE" })).status,
    204,
  );
  assert.equal(
    (await app.request(`/api/alerts/silences/${silence.id}`, { method: "DELETE" })).status,
    404,
  );
  db.close();
});

Deno.test("POST /api/alerts/silences refuses bad requests with a reason", async () => {
  const { app, db } = setup();
  const cases: [unknown, RegExp][] = [
    [{ rule: "nope", duration: "1h" }, /no rule named "nope"/],
    [{ rule: "high-cpu" }, /duration or an until/],
    [{ rule: "high-cpu", duration: "soon" }, /is not a duration/],
    [{ rule: "high-cpu", duration: "1h", extra: 1 }, /Unrecognized key/],
  ];
  for (const [body, message] of cases) {
    const response = await app.request("/api/alerts/silences", {
      method: "POST",
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, message);
  }
  const notJson = await app.request("/api/alerts/silences", { method: "POST", body: "{" });
  assert.equal(notJson.status, 400);
  db.close();
});

Deno.test("GET /api/alerts returns active alerts and history, and refuses bad times", async () => {
  const { app, service, db, now } = setup();
  service.onSample({ id: "m1", name: "web-1" }, {
    ts: now,
    seq: 1,
    machineId: "m1",
    hostname: "web-1",
    cpu: { usage: 99, user: 99, system: 0 },
  });
  const body = await (await app.request("/api/alerts")).json();
  assert.equal(body.active.length, 1);
  assert.equal(body.history.length, 1);
  assert.equal((await app.request("/api/alerts?from=yesterday")).status, 400);
  service.stop();
  await service.idle();
  db.close();
});
