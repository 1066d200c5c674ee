/**
 * What the fleet page says when things go wrong, in Chromium against a real master: the empty
 * fleet's Copy button on a page without the Clipboard API (plain HTTP on a LAN address), and
 * "master unreachable" instead of "offline" on every machine while the master is gone; a
 * machine's watched processes on its row.
 */
import assert from "node:assert/strict";
import {
  api,
  launchBrowser,
  loggedInPage,
  SCREENSHOT_DIR,
  startFakeWorker,
  startMaster,
  waitUntil,
} from "./harness.ts";

// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare const navigator: any;
// deno-lint-ignore no-explicit-any
declare const getSelection: any;

Deno.test({
  name: "fleet page: Copy without the Clipboard API, and master unreachable",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const master = await startMaster();
    const browser = await launchBrowser();
    let worker: { stop: () => void } | null = null;
    let masterStopped = false;
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      // As on http://192.168.x.y: no navigator.clipboard outside a secure context.
      await context.addInitScript(() => {
        Object.defineProperty(Object.getPrototypeOf(navigator), "clipboard", {
          get: () => undefined,
        });
      });
      const page = await loggedInPage(context, master);
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));

      await t.step("the empty fleet's Copy button works without navigator.clipboard", async () => {
        await page.waitForSelector(".command-text");
        assert.equal(await page.evaluate(() => navigator.clipboard), undefined);
        const command = await page.textContent(".command-text");
        assert.match(command ?? "", /^gridmon worker --master \S+ --token \S+$/);
        await page.click(".command button");
        const said = await waitUntil("the button to say what happened", async () => {
          const text = await page.textContent(".command button");
          return text !== "Copy" ? text : null;
        });
        assert.ok(["Copied", "Press Ctrl+C"].includes(said), said);
        assert.equal(await page.evaluate(() => String(getSelection())), command, "selected");
      });

      await t.step("while the master is gone, machines are not called offline", async () => {
        worker = await startFakeWorker(master, {
          machineId: "box-1",
          hostname: "box-1",
          watched: [{ name: "nginx", count: 2 }, { name: "<b>postgres</b>", count: 0 }],
        });
        await page.waitForSelector(".ft-row .status-online");
        // Its watched processes, running or not, on its row (names from the worker as text).
        await page.waitForSelector(".ft-row .watch-down");
        assert.deepEqual(
          await page.$$eval(".ft-row .watch", (els) =>
            els.map((el) => {
              const e = el as unknown as { className: string; textContent: string };
              return [e.className, e.textContent];
            })),
          [["watch watch-up", "nginx"], ["watch watch-down", "<b>postgres</b> not running"]],
        );
        assert.equal(await page.$$eval(".ft-row b", (els) => els.length), 0);
        // The fleet charts gain a point a minute: with fewer than two, they say they are
        // collecting data rather than stand blank. (Read with the API's count of that moment.)
        await waitUntil("the fleet charts to agree with the API", async () => {
          const note = await page.$eval(
            ".chart-card[aria-label='CPU, fleet'] .plot-empty",
            (el) => {
              const p = el as unknown as { hidden: boolean; textContent: string };
              return p.hidden ? "" : p.textContent;
            },
          );
          const to = Date.now();
          const r = await api<{ cpuAvg: (number | null)[] }>(
            master,
            `/api/fleet/series?from=${to - 3600e3}&to=${to}&points=400`,
          );
          const points = r.cpuAvg.filter((v) => v !== null).length;
          return points < 2 ? /^Collecting data/.test(note) : note === "";
        });
        // A phone, to see the longest status word there.
        const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
        const phone = await loggedInPage(phoneContext, master);
        await phone.waitForSelector(".ft-row .status-online");
        // The machine page's module loads on first use: load it while the master is there.
        await page.goto(`${master.url}/#/machine/box-1`);
        await page.waitForSelector(".page-machine .status-online");
        await page.goto(`${master.url}/#/`);
        await page.waitForSelector(".ft-row .status-online");
        await master.stop();
        masterStopped = true;
        await page.waitForSelector(".ft-row .status-unreachable", { timeout: 20_000 });
        assert.equal(await page.textContent(".ft-row .status-word"), "master unreachable");
        assert.match((await page.textContent(".counts")) ?? "", /master unreachable/);
        assert.equal(await page.$(".ft-row .status-offline"), null);
        await phone.waitForSelector(".ft-row .status-unreachable", { timeout: 20_000 });
        await phone.screenshot({ path: `${SCREENSHOT_DIR}phone_unreachable.png` });
        const clipped = await phone.$$eval(
          ".ft-body .ft-row .c-status, .ft-body .ft-row .status",
          (els) =>
            els.map((el) => {
              const e = el as unknown as {
                scrollWidth: number;
                clientWidth: number;
                className: string;
              };
              return `${e.className}: ${e.scrollWidth} > ${e.clientWidth}`;
            }).filter((_, i) => {
              const e = els[i] as unknown as { scrollWidth: number; clientWidth: number };
              return e.scrollWidth > e.clientWidth + 1;
            }),
        );
        assert.deepEqual(clipped, [], "no status word is cut on a phone");
        const sideways = await phone.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.ok(sideways <= 0, `the page scrolls sideways by ${sideways}px`);
        await phoneContext.close();
        await page.goto(`${master.url}/#/machine/box-1`);
        await page.waitForSelector(".page-machine .status-unreachable");
        await page.screenshot({ path: `${SCREENSHOT_DIR}master_unreachable.png` });
        const text: string = await page.evaluate(() => document.body.innerText);
        assert.match(text, /master unreachable/);
      });
      assert.deepEqual(errors, []);
    } finally {
      (worker as { stop: () => void } | null)?.stop();
      await browser.close();
      if (!masterStopped) await master.stop();
    }
  },
});
