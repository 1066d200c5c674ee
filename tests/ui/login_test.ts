/**
 * Login, the empty fleet and a lost master, in Chromium against a real master with no workers.
 */
import assert from "node:assert/strict";
import { launchBrowser, SCREENSHOT_DIR, startMaster, waitUntil } from "./harness.ts";

Deno.test({
  name: "login page, empty fleet with the worker command, and an unreachable master",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const master = await startMaster();
    const browser = await launchBrowser();
    let masterStopped = false;
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      const page = await context.newPage();

      await t.step("without a session the dashboard asks for the token", async () => {
        await page.goto(`${master.url}/`);
        await page.waitForSelector("#token");
        await page.screenshot({ path: `${SCREENSHOT_DIR}login.png` });
      });

      await t.step("a wrong token is refused with a hint", async () => {
        await page.fill("#token", "not-the-token");
        await page.click("button[type=submit]");
        await waitUntil(
          "the message",
          async () => /not right/.test(await page.textContent("#login-msg") ?? ""),
        );
        assert.equal(new URL(page.url()).pathname, "/");
        assert.ok(await page.$("#token"));
      });

      await t.step(
        "the pasted token logs in, and an empty fleet shows the worker command",
        async () => {
          await page.fill("#token", master.uiToken);
          await page.click("button[type=submit]");
          await page.waitForSelector(".state-empty");
          const command = await waitUntil("the command", () => page.textContent(".command-text"));
          assert.match(command, /^gridmon worker --master \S+ --token \S+$/);
          assert.ok(command.includes(master.joinToken));
          await page.screenshot({ path: `${SCREENSHOT_DIR}empty_fleet.png` });
        },
      );

      await t.step("when the master goes away the page says so and retries", async () => {
        await master.stop();
        masterStopped = true;
        await waitUntil(
          "the offline status",
          async () => /Offline · retry in \d+ s/.test(await page.textContent("#conn") ?? ""),
          15_000,
        );
      });
      await context.close();
    } finally {
      await browser.close();
      if (!masterStopped) await master.stop();
    }
  },
});
