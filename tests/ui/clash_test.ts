/**
 * Cloned hosts on the machine page: a refused connection from another host claiming the machine's
 * id shows as a note naming that host and saying what to do, rendered as text.
 */
import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../src/protocol/version.ts";
import { launchBrowser, loggedInPage, startFakeWorker, startMaster, waitUntil } from "./harness.ts";

const EVIL_CLONE = '<img src=x onerror="alert(1)">clone';

/** Says hello as another host with `machineId`; resolves with the close code it gets. */
function helloAsClone(port: number, joinToken: string, machineId: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/worker`);
  return new Promise((resolve, reject) => {
    ws.onopen = () =>
      ws.send(JSON.stringify({
        type: "hello",
        v: PROTOCOL_VERSION,
        token: joinToken,
        machineId,
        hostname: EVIL_CLONE,
        os: "linux",
        arch: "x86_64",
        cores: 1,
        memTotal: 2 ** 30,
        agentVersion: "test",
        intervalMs: 1000,
      }));
    ws.onclose = (e) => resolve(e.code);
    ws.onerror = () => {};
    setTimeout(() => reject(new Error("no close")), 10_000);
  });
}

Deno.test({
  name: "the machine page says a clone was refused and what to do",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const master = await startMaster();
    const original = await startFakeWorker(master, { machineId: "shared-id", hostname: "vm-a" });
    const browser = await launchBrowser();
    try {
      assert.equal(await helloAsClone(master.port, master.joinToken, "shared-id"), 4009);
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      const page = await loggedInPage(context, master);
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      await page.goto(`${master.url}/#/machine/shared-id`);
      const note = await page.waitForSelector(".clash-note:not([hidden])");
      const text = await note.textContent() ?? "";
      assert.ok(text.includes(`Another host, ${EVIL_CLONE} (127.0.0.1)`), text);
      assert.match(text, /--machine-id/);
      assert.equal(await page.$$eval(".clash-note img", (els) => els.length), 0);
      // A second refusal from the same clone counts up, live.
      await helloAsClone(master.port, master.joinToken, "shared-id");
      await waitUntil(
        "the attempts to count up",
        async () => /\(2×/.test(await note.textContent() ?? ""),
      );
      // The fleet row points at it too, its hostname as text.
      await page.goto(`${master.url}/#/`);
      const badge = await page.waitForSelector(".ft-row[data-id='shared-id'] .clash-badge");
      assert.equal(await badge.textContent(), "id clash");
      assert.ok((await badge.getAttribute("title"))?.startsWith(`${EVIL_CLONE} tried to report`));
      assert.equal(await page.$$eval(".ft-row img", (els) => els.length), 0);
      assert.deepEqual(dialogs, []);
      await context.close();
    } finally {
      await browser.close();
      original.stop();
      await master.stop();
    }
  },
});
