import assert from "node:assert/strict";
import { type DeliveryAttempt, describeFailure, Dispatcher } from "../../src/alerts/delivery.ts";
import type { AlertNotice } from "../../src/alerts/engine.ts";
import { formatRequest } from "../../src/alerts/formats.ts";
import { parseAlertConfig } from "../../src/alerts/rules.ts";

/** A local HTTP receiver that records requests and answers with the given statuses in turn. */
function receiver(statuses: number[] = []) {
  const received: { path: string; headers: Headers; body: unknown }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    received.push({
      path: new URL(request.url).pathname,
      headers: request.headers,
      body: await request.json(),
    });
    return new Response(null, { status: statuses.shift() ?? 204 });
  });
  return { received, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function notice(notify: string[] = []): AlertNotice {
  const config = parseAlertConfig(`
rules:
  - name: high-cpu
    kind: threshold
    metric: cpu.usage
    op: ">"
    value: 90
    severity: critical
`);
  return {
    transition: "firing",
    deliver: true,
    rule: { ...config.rules[0], notify },
    alert: {
      key: "high-cpu|m1|",
      rule: "high-cpu",
      kind: "threshold",
      severity: "critical",
      machineId: "m1",
      machineName: "web-1",
      device: null,
      metric: "cpu.usage",
      value: 97.5,
      threshold: 90,
      op: ">",
      cause: null,
      since: 0,
      firedAt: 1000,
      notifiedAt: 1000,
      resolvedAt: null,
      closeReason: null,
      foundLate: false,
      detectedAt: 1000,
      silenced: false,
      message: "cpu.usage on web-1 is 97.5 % (> 90 %)",
    },
  };
}

Deno.test("a webhook receives one JSON notice with its headers", async () => {
  const rx = receiver();
  const dispatcher = new Dispatcher({
    notifiers: [{
      name: "hook",
      type: "webhook",
      url: `${rx.url}/alerts`,
      headers: { authorization: "Bearer s3cret" },
    }],
  });
  dispatcher.send(notice());
  await dispatcher.idle();
  await rx.close();
  assert.equal(rx.received.length, 1);
  assert.equal(rx.received[0].path, "/alerts");
  assert.equal(rx.received[0].headers.get("authorization"), "Bearer s3cret");
  const body = rx.received[0].body as Record<string, unknown>;
  assert.equal(body.status, "firing");
  assert.equal(body.metric, "cpu.usage");
  assert.deepEqual(body.machine, { id: "m1", name: "web-1" });
});

Deno.test("a receiver that fails gets retries with backoff until it answers", async () => {
  const rx = receiver([500, 503]);
  const attempts: DeliveryAttempt[] = [];
  const dispatcher = new Dispatcher({
    notifiers: [{ name: "hook", type: "webhook", url: rx.url, headers: {} }],
    baseDelayMs: 20,
    onAttempt: (a) => attempts.push(a),
  });
  dispatcher.send(notice());
  await dispatcher.idle();
  await rx.close();
  assert.equal(rx.received.length, 3);
  assert.deepEqual(attempts.map((a) => [a.attempt, a.ok, a.final]), [[1, false, false], [
    2,
    false,
    false,
  ], [3, true, true]]);
  assert.equal(attempts[0].error, "HTTP 500 Internal Server Error");
});

Deno.test("a receiver that is down is retried, then the failure is final and reported", async () => {
  const rx = receiver();
  await rx.close(); // nothing listens on this port any more
  const attempts: DeliveryAttempt[] = [];
  const dispatcher = new Dispatcher({
    notifiers: [{ name: "hook", type: "webhook", url: rx.url, headers: {} }],
    maxAttempts: 3,
    baseDelayMs: 10,
    onAttempt: (a) => attempts.push(a),
  });
  dispatcher.send(notice());
  await dispatcher.idle();
  assert.equal(attempts.length, 3);
  assert.ok(attempts.every((a) => !a.ok && a.error !== null));
  assert.equal(attempts[2].final, true);
});

Deno.test("a rule's notify list limits the notifiers; notices not to deliver are not sent", async () => {
  const a = receiver();
  const b = receiver();
  const dispatcher = new Dispatcher({
    notifiers: [
      { name: "a", type: "webhook", url: a.url, headers: {} },
      { name: "b", type: "webhook", url: b.url, headers: {} },
    ],
  });
  dispatcher.send(notice(["b"]));
  dispatcher.send({ ...notice(), deliver: false });
  await dispatcher.idle();
  await a.close();
  await b.close();
  assert.equal(a.received.length, 0);
  assert.equal(b.received.length, 1);
});

Deno.test("slack, discord and ntfy get their own formats", () => {
  const n = notice();
  const slack = JSON.parse(
    formatRequest(
      { name: "s", type: "slack", url: "https://hooks.slack.example/x", headers: {} },
      n,
    ).body,
  );
  assert.match(slack.text, /^\[CRITICAL\] high-cpu on web-1: cpu\.usage on web-1 is 97\.5 %/);
  assert.equal(slack.attachments[0].color, "#dc2626");
  const discord = JSON.parse(
    formatRequest({
      name: "d",
      type: "discord",
      url: "https://discord.example/api/webhooks/1/x",
      headers: {},
    }, n).body,
  );
  assert.equal(discord.embeds[0].description, n.alert.message);
  assert.deepEqual(discord.allowed_mentions, { parse: [] });
  const ntfy = formatRequest({
    name: "n",
    type: "ntfy",
    url: "https://ntfy.example/ops-alerts",
    headers: {},
  }, n);
  assert.equal(ntfy.url, "https://ntfy.example/");
  const body = JSON.parse(ntfy.body);
  assert.equal(body.topic, "ops-alerts");
  assert.equal(body.priority, 5);
  assert.equal(body.message, n.alert.message);
});

Deno.test("describeFailure() keeps the cause and drops the URL's secret path", async () => {
  const url = "http://no-such-host.invalid/services/T000/SECRET";
  const error = await fetch(url).then(() => undefined, (e) => e);
  const text = describeFailure(error, url);
  assert.equal(text.includes("SECRET"), false, text);
  assert.match(text, /no-such-host\.invalid/);
  assert.ok(text.length > "fetch failed".length, text);
});
