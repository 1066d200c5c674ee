/**
 * E-mail end to end: the real master (its exact permission flags) fires an offline alert for a
 * worker that left, and the mail reaches a real SMTP server, linking to the master's own page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeWorker } from "../helpers/fake_worker.ts";
import { freePort, spawnMasterChild } from "../master/master_process.ts";
import { certificate, type Received, smtpServer } from "./smtp_fixture.ts";

const TOKEN = "email-e2e-join-token";
const LOGIN = { user: "alerts@example.test", password: "e2e-pass" };

Deno.test("the master e-mails an alert over STARTTLS, with a link to its machine page", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_email_e2e_" });
  const tls = await certificate(dir);
  const smtp = await smtpServer("starttls", tls, join(dir, "out"), LOGIN);
  const dataDir = join(dir, "data");
  await Deno.mkdir(dataDir);
  const rules = join(dataDir, "alerts.yaml");
  await Deno.writeTextFile(
    rules,
    `notifiers:
  mail:
    type: email
    host: 127.0.0.1
    port: ${smtp.port}
    username: ${LOGIN.user}
    password_env: GRIDMON_TEST_SMTP_PASSWORD
    from: ${LOGIN.user}
    to: [ops@example.test]
    ca: |
${tls.pem.trim().split("\n").map((line) => `      ${line}`).join("\n")}
rules:
  - name: down
    kind: offline
    for: 1s
`,
  );
  const port = freePort();
  Deno.env.set("GRIDMON_TEST_SMTP_PASSWORD", LOGIN.password); // the child inherits it
  const master = await spawnMasterChild({ dataDir, port, token: TOKEN, args: ["--alerts", rules] });
  Deno.env.delete("GRIDMON_TEST_SMTP_PASSWORD");
  try {
    const worker = await startFakeWorker({ port, joinToken: TOKEN }, {
      machineId: "mail-host",
      hostname: "web-7",
    });
    await new Promise((r) => setTimeout(r, 1500));
    worker.stop();
    let mails: Received[] = [];
    const deadline = Date.now() + 30_000;
    while (mails.length === 0) {
      assert.ok(Date.now() < deadline, `no mail arrived:\n${master.output()}`);
      await new Promise((r) => setTimeout(r, 200));
      mails = await smtp.received();
    }
    const [mail] = mails;
    assert.equal(mail.tls && mail.authenticated, true);
    assert.deepEqual(mail.to, ["ops@example.test"]);
    assert.equal(mail.subject, "[gridmon] Critical: down on web-7");
    assert.match(mail.text, /^web-7 has been offline for \d+ s/);
    assert.ok(
      mail.text.includes(`Machine page: http://127.0.0.1:${port}/#/machine/mail-host`),
      mail.text,
    );
    assert.ok(!master.output().includes(LOGIN.password), "the password is never logged");
  } finally {
    master.child.kill("SIGTERM");
    await master.done;
    await smtp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
