/**
 * Managing a machine from its page, in Chromium against a real master: mark it expected
 * offline (and lift the mark), remove it after typing its name with its data kept; and the
 * login button still readable under the pointer.
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
declare const getComputedStyle: any;

interface MachineJson {
  id: string;
  online: boolean;
  expectedOffline: { since: number; until: number | null } | null;
}

/** Relative luminance of "rgb(r, g, b)" (WCAG). */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

Deno.test({
  name: "machine page: expected offline, remove with confirmation; readable login hover",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const master = await startMaster();
    const browser = await launchBrowser();
    let worker: { stop: () => void } | null = await startFakeWorker(master, {
      machineId: "box-a",
      hostname: "box-a",
    });
    try {
      await waitUntil(
        "box-a online",
        async () => (await api<MachineJson>(master, "/api/machines/box-a")).online,
      );
      const context = await browser.newContext({ viewport: { width: 1300, height: 1400 } });
      const page = await loggedInPage(context, master);
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${master.url}/#/machine/box-a?range=live`);
      await page.waitForSelector("section.admin");

      await t.step("mark expected offline for 8 hours, see it, lift it", async () => {
        await page.selectOption("select[aria-label='How long']", "8h");
        await page.click("text=Mark as expected offline");
        await page.waitForSelector(".admin-state");
        const mark = (await api<MachineJson>(master, "/api/machines/box-a")).expectedOffline;
        assert.ok(mark, "the master has the mark");
        assert.ok(Math.abs((mark.until ?? 0) - (mark.since + 8 * 3600e3)) < 60e3, "8 hours");
        assert.match(
          (await page.textContent(".admin-state")) ?? "",
          /^Expected offline since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, until \d{4}-/,
        );
        // Offline while marked: the page says expected, not offline.
        worker?.stop();
        worker = null;
        await page.waitForSelector(".page-machine .status-expected", { timeout: 30_000 });
        assert.equal(await page.textContent(".page-machine .status-word"), "expected offline");
        await page.goto(`${master.url}/#/`);
        await page.waitForSelector(".ft-row .status-expected");
        await waitUntil(
          "the counts to say so",
          async () => /1 expected offline/.test((await page.textContent(".counts")) ?? ""),
        );
        await page.goto(`${master.url}/#/machine/box-a?range=live`);
        await page.click("text=Lift the expected-offline mark");
        await page.waitForSelector(".page-machine .status-offline");
        assert.equal(
          (await api<MachineJson>(master, "/api/machines/box-a")).expectedOffline,
          null,
        );
      });

      await t.step("remove it, data kept, only after typing its name", async () => {
        await page.click("text=Remove this machine…");
        const submit = "form.remove-form button[type=submit]";
        assert.ok(await page.isDisabled(submit), "nothing chosen yet");
        await page.check("input[name=data][value=keep]");
        await page.fill("input[aria-label='Machine name to confirm']", "box-b");
        assert.ok(await page.isDisabled(submit), "a wrong name does not remove");
        await page.fill("input[aria-label='Machine name to confirm']", "box-a");
        await page.screenshot({ path: `${SCREENSHOT_DIR}machine_remove.png`, fullPage: true });
        await page.click(submit);
        await page.waitForURL((u) => u.hash === "#/" || u.hash === "");
        await page.waitForSelector("text=No machines yet.");
        const list = await api<MachineJson[]>(master, "/api/machines");
        assert.deepEqual(list.map((m) => m.id), []);
        const removed = await api<{ id: string; data: string }[]>(master, "/api/removed-machines");
        assert.deepEqual(removed.map((m) => [m.id, m.data]), [["box-a", "kept"]]);
      });

      await t.step("the login button stays readable under the pointer", async () => {
        const anon = await browser.newContext();
        const login = await anon.newPage();
        await login.goto(`${master.url}/login`);
        const button = "button[type=submit]";
        await login.hover(button);
        await login.waitForTimeout(300); // any transition
        const [color, background] = await login.$eval(button, (el) => {
          const s = getComputedStyle(el);
          return [s.color, s.backgroundColor];
        });
        const [a, b] = [luminance(color), luminance(background)].sort((x, y) => y - x);
        const contrast = (a + 0.05) / (b + 0.05);
        assert.ok(contrast >= 3, `contrast ${contrast.toFixed(2)} (${color} on ${background})`);
        await anon.close();
      });
      assert.deepEqual(errors, []);
    } finally {
      (worker as { stop: () => void } | null)?.stop();
      await browser.close();
      await master.stop();
    }
  },
});
