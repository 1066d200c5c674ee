/**
 * The e-mail notifier against a real SMTP server (Debian's python3-aiosmtpd, started by the test;
 * scripts/setup.sh --test installs it): STARTTLS and implicit TLS with a login, several
 * recipients, the message read back by Python's own MIME parser; and the failure paths.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type DeliveryAttempt, Dispatcher } from "../../src/alerts/delivery.ts";
import type { AlertNotice } from "../../src/alerts/engine.ts";
import { parseAlertConfig } from "../../src/alerts/rules.ts";
import { engineFor } from "./engine_fixture.ts";
import { certificate, smtpServer } from "./smtp_fixture.ts";

const USER = "alerts@example.test";
const PASSWORD = "s3cret-pass";

function rulesFile(smtp: { port: number; security: string; pem: string; password?: string }) {
  return `
notifiers:
  mail:
    type: email
    host: 127.0.0.1
    port: ${smtp.port}
    security: ${smtp.security}
    username: ${USER}
    password: ${smtp.password ?? PASSWORD}
    from: "gridmon <${USER}>"
    to: [ops@example.test, oncall@example.test]
    dashboard_url: http://gridmon.example.test:7863/
    ca: |
${smtp.pem.trim().split("\n").map((l) => `      ${l}`).join("\n")}
rules:
  - name: odd
    kind: anomaly
`;
}

/** An anomaly alert on a machine whose name needs escaping, as the engine makes it. */
function anomalyNotice(yaml: string): AlertNotice {
  const { engine, delivered } = engineFor(yaml);
  const machine = { id: "m-1", name: "db<2>" };
  engine.observeSample(machine, null, 1_000_000);
  engine.observeAnomaly(machine, {
    id: 1,
    start: 1_000_000,
    end: null,
    peakScore: 0.91,
    reason: "net.rxBps",
    causes: [{
      metric: "net.rxBps",
      value: 899 * 2 ** 20,
      normalLow: 5 * 2 ** 20,
      normalHigh: 14 * 2 ** 20,
    }],
  }, 1_000_500);
  return delivered()[0];
}

async function deliverOnce(yaml: string, notice: AlertNotice): Promise<DeliveryAttempt[]> {
  const attempts: DeliveryAttempt[] = [];
  const dispatcher = new Dispatcher({
    notifiers: parseAlertConfig(yaml).notifiers,
    baseDelayMs: 10,
    maxAttempts: 3,
    timeoutMs: 5000,
    onAttempt: (a) => attempts.push(a),
  });
  dispatcher.send(notice);
  await dispatcher.idle();
  dispatcher.close();
  return attempts;
}

for (const security of ["starttls", "tls"] as const) {
  Deno.test(`an alert e-mail arrives over ${security} with a login, to every recipient, and reads well`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "gridmon_smtp_" });
    const tls = await certificate(dir);
    const server = await smtpServer(security, tls, join(dir, "out"), {
      user: USER,
      password: PASSWORD,
    });
    try {
      const yaml = rulesFile({ port: server.port, security, pem: tls.pem });
      const attempts = await deliverOnce(yaml, anomalyNotice(yaml));
      assert.deepEqual(attempts.map((a) => [a.ok, a.final, a.error]), [[true, true, null]]);
      const [mail] = await server.received();
      assert.deepEqual(mail.to, ["ops@example.test", "oncall@example.test"]);
      assert.equal(mail.from, USER);
      assert.equal(mail.tls, true);
      assert.equal(mail.authenticated, true);
      assert.equal(mail.subject, "[gridmon] Warning: odd on db<2>");
      assert.match(mail.headerTo, /ops@example\.test, oncall@example\.test/);
      // The cause in words, in both parts; the link to the machine page.
      const cause = "Network in 899 MiB/s (usually 5–14 MiB/s)";
      assert.match(mail.text, new RegExp(`^Anomaly on db<2>: ${cause.replace(/[()]/g, "\\$&")}`));
      assert.match(mail.text, /Cause: +Network in 899 MiB\/s/);
      assert.match(
        mail.text,
        /Machine page: http:\/\/gridmon\.example\.test:7863\/#\/machine\/m-1\r?\n/,
      );
      assert.ok(mail.html.includes(`Anomaly on db&lt;2&gt;: ${cause}`), mail.html);
      assert.ok(!mail.html.includes("db<2>"), "the machine name is escaped in HTML");
      assert.ok(mail.html.includes('href="http://gridmon.example.test:7863/#/machine/m-1"'));
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a refused login is a final failure at once, with the server's answer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_smtp_" });
  const tls = await certificate(dir);
  const server = await smtpServer("starttls", tls, join(dir, "out"), {
    user: USER,
    password: PASSWORD,
  });
  try {
    const yaml = rulesFile({
      port: server.port,
      security: "starttls",
      pem: tls.pem,
      password: "wrong",
    });
    const attempts = await deliverOnce(yaml, anomalyNotice(yaml));
    assert.equal(attempts.length, 1, "no retry of a refused login");
    assert.equal(attempts[0].ok, false);
    assert.equal(attempts[0].final, true);
    assert.equal(attempts[0].status, 535);
    assert.match(attempts[0].error!, /^SMTP 127\.0\.0\.1:\d+: login refused: .*535/);
    assert.ok(!attempts[0].error!.includes("wrong"), "the password is not in the error");
    assert.deepEqual(await server.received(), []);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that is down is retried, then given up, each attempt recorded", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const dir = await Deno.makeTempDir({ prefix: "gridmon_smtp_" });
  try {
    const { pem } = await certificate(dir);
    const yaml = rulesFile({ port, security: "starttls", pem });
    const attempts = await deliverOnce(yaml, anomalyNotice(yaml));
    assert.deepEqual(attempts.map((a) => [a.attempt, a.ok, a.final]), [
      [1, false, false],
      [2, false, false],
      [3, false, true],
    ]);
    assert.match(attempts[0].error!, new RegExp(`^SMTP 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e-mail settings are checked at load, naming the line and field", () => {
  const base =
    `notifiers:\n  mail:\n    type: email\n    host: smtp.example.test\n    from: a@example.test\n    to: b@example.test\n`;
  const config = parseAlertConfig(base);
  assert.deepEqual(config.notifiers[0], {
    name: "mail",
    type: "email",
    host: "smtp.example.test",
    port: 587,
    security: "starttls",
    username: undefined,
    password: undefined,
    from: "a@example.test",
    to: ["b@example.test"],
    dashboardUrl: undefined,
    ca: undefined,
  });
  assert.equal(parseAlertConfig(`${base}    security: tls\n`).notifiers[0].type, "email");
  const env = (name: string) => (name === "GRIDMON_SMTP_PASSWORD" ? "from-env" : undefined);
  const withEnv = parseAlertConfig(
    `${base}    username: u@example.test\n    password_env: GRIDMON_SMTP_PASSWORD\n`,
    "alerts.yaml",
    env,
  ).notifiers[0];
  assert.equal(withEnv.type === "email" && withEnv.password, "from-env");
  const bad: [string, RegExp][] = [
    [
      `${base}    security: none\n    username: u@x.test\n    password: p\n`,
      /:7: notifiers\.mail\.security: a password must not travel in clear/,
    ],
    [
      `${base}    username: u@x.test\n    password_env: GRIDMON_NOPE\n`,
      /:8: notifiers\.mail\.password_env: GRIDMON_NOPE is not set/,
    ],
    [
      `${base}    username: u@x.test\n`,
      /notifiers\.mail\.password: give username and password together/,
    ],
    [
      `${base}    password_env: HOME\n`,
      /:7: notifiers\.mail\.password_env: use a GRIDMON_\* variable/,
    ],
    [base.replace("to: b@example.test", "to: nobody"), /notifiers\.mail\.to: /],
  ];
  for (const [yaml, message] of bad) {
    assert.throws(() => parseAlertConfig(yaml, "alerts.yaml", env), message, yaml);
  }
});
