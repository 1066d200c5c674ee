/**
 * What the machine page says, in Chromium against a real master: chart legends with values
 * before any hover, one date format, a Live range whose from/to move, and a machine that has
 * just joined opening at Live with "collecting data" instead of empty charts.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  api,
  launchBrowser,
  loggedInPage,
  SCREENSHOT_DIR,
  startFakeWorker,
  startMaster,
  startSimulator,
  waitUntil,
} from "./harness.ts";

// deno-lint-ignore no-explicit-any
declare const document: any;

/** The one date/time format of the UI: 2026-12-02 17:40:05. */
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/** A legend cell's number ("23.4 %", "1.2 MiB/s" → 23.4, 1.2). */
function num(text: string): number {
  const n = Number.parseFloat(text.replace(/[^\d.-]/g, ""));
  assert.ok(Number.isFinite(n), `"${text}" is a number`);
  return n;
}

/** The legend row of one series of one chart: its label and the four cells. */
async function legendRow(page: Page, chart: string, series: string) {
  return await page.$$eval(
    `.chart-card[aria-label='${chart}'] .chart-legend tr[data-series='${series}'] td`,
    (tds) => tds.map((td) => (td as unknown as { textContent: string }).textContent),
  );
}

Deno.test({
  name: "machine page: legends, one date format, a moving Live range, a young machine",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const master = await startMaster();
    const sim = startSimulator(master, ["--workers", "1", "--start", "now-40m"]);
    const browser = await launchBrowser();
    // deno-lint-ignore no-explicit-any
    let newcomer: any = null;
    try {
      const [m] = await waitUntil("the simulated machine's back-fill", async () => {
        const list = await api<{ id: string; latest: { ts: number } | null }[]>(
          master,
          "/api/machines",
        );
        return list.length === 1 && list[0].latest && Date.now() - list[0].latest.ts < 5000
          ? list
          : null;
      }, 90_000);
      const context = await browser.newContext({ viewport: { width: 1400, height: 1500 } });
      const page = await loggedInPage(context, master);
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (msg) => {
        if (msg.text().includes("Content Security Policy")) errors.push(msg.text());
      });

      await t.step("legends show last, min, avg and max before any hover", async () => {
        await page.goto(`${master.url}/#/machine/${m.id}?range=1h`);
        const cpu = ".chart-card[aria-label='CPU']";
        await page.waitForSelector(`${cpu}[data-points]`);
        const [last, min, avg, max] = (await legendRow(page, "CPU", "total")).map(num);
        assert.ok(min <= avg && avg <= max, `min ${min} ≤ avg ${avg} ≤ max ${max}`);
        assert.ok(min <= last && last <= max, `last ${last} within [${min}, ${max}]`);
        assert.ok(max <= 100 && min >= 0);
        assert.ok(max > min, "40 minutes of simulated CPU vary");
        // Hovering shows the value at the cursor, under the time it is for.
        const box = await page.$eval(`${cpu} .u-over`, (el) => {
          const r = (el as unknown as { getBoundingClientRect(): DOMRect }).getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        });
        await page.mouse.move(box.x + box.w * 0.5, box.y + box.h / 2);
        const head = `${cpu} .chart-legend thead th:nth-child(2)`;
        await waitUntil(
          "the legend to name the hovered time",
          async () => TIME.test((await page.textContent(head)) ?? ""),
        );
        const hovered = num((await legendRow(page, "CPU", "total"))[0]);
        assert.ok(min <= hovered && hovered <= max);
        await page.mouse.move(5, 5);
        await waitUntil(
          "the legend back at the last value",
          async () => (await page.textContent(head)) === "Last",
        );
        assert.equal(num((await legendRow(page, "CPU", "total"))[0]), last);
      });

      await t.step("the process table shows what ran at the hovered time", async () => {
        await page.goto(`${master.url}/#/machine/${m.id}?range=1h`);
        const cpu = ".chart-card[aria-label='CPU']";
        await page.waitForSelector(`${cpu}[data-points]`);
        await page.waitForSelector(".proc-table tbody tr");
        const whenOf = async () => {
          const text = (await page.textContent(".proc-when")) ?? "";
          const at = text.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/)?.[0];
          return at ? new Date(at.replace(" ", "T")).getTime() : NaN;
        };
        assert.ok(Date.now() - await whenOf() < 60_000, "at first, the newest scan");
        const box = await page.$eval(`${cpu} .u-over`, (el) => {
          const r = (el as unknown as { getBoundingClientRect(): DOMRect }).getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        });
        await page.mouse.move(box.x + box.w * 0.6, box.y + box.h / 2);
        const head = `${cpu} .chart-legend thead th:nth-child(2)`;
        const hovered = await waitUntil("a hovered time", async () => {
          const text = (await page.textContent(head)) ?? "";
          return TIME.test(text) ? new Date(text.replace(" ", "T")).getTime() : null;
        });
        assert.ok(Date.now() - hovered > 10 * 60e3, "the pointer is in the past");
        const scanAt = await waitUntil("the table at the hovered time", async () => {
          const at = await whenOf();
          return Math.abs(at - hovered) < 90_000 ? at : null;
        });
        const names = await page.$$eval(
          ".proc-table tbody .proc-name",
          (tds) => tds.map((td) => (td as unknown as { textContent: string }).textContent),
        );
        const expected = await api<{ processes: { name: string }[] }>(
          master,
          `/api/machines/${m.id}/processes?at=${hovered}&sort=cpu&limit=15`,
        );
        assert.deepEqual(names, expected.processes.map((p) => p.name), `scan at ${scanAt}`);
        assert.ok(names.length > 0);
        // Sorting by memory asks the master for that ranking.
        await page.mouse.move(box.x + box.w * 0.6, box.y + box.h / 2);
        await page.click(".proc-table button[data-sort=rss]");
        await page.waitForSelector(".proc-table th[aria-sort=descending] [data-sort=rss]");
      });

      await t.step("every date on the page reads the same way", async () => {
        const info = (await page.textContent(".range-info")) ?? "";
        const times = info.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g) ?? [];
        assert.equal(times.length, 2, info);
        const lastSample = await page.$$eval(".facts dt", (dts) =>
          dts.map((dt) => {
            const d = dt as unknown as {
              textContent: string;
              nextElementSibling: { textContent: string };
            };
            return [d.textContent, d.nextElementSibling.textContent];
          }).find(([k]) => k === "Last sample")?.[1] ?? "");
        assert.match(lastSample, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(/);
        const text: string = await page.evaluate(() => document.body.innerText);
        assert.doesNotMatch(text, /\d{1,2}\/\d{1,2}\/\d{2,4}|\b[AP]M\b/, "no other date format");
      });

      await t.step("in Live the from and to move with the samples", async () => {
        await page.goto(`${master.url}/#/machine/${m.id}?range=live`);
        await page.waitForSelector(".chart-card[aria-label='CPU'][data-points]");
        const first = (await page.textContent(".range-info")) ?? "";
        assert.match(first, /^Live: /);
        const moved = await waitUntil("the range to move", async () => {
          const now = (await page.textContent(".range-info")) ?? "";
          return now !== first ? now : null;
        }, 15_000);
        const [, to] = moved.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g) ?? [];
        const toMs = new Date(to.replace(" ", "T")).getTime();
        assert.ok(Math.abs(Date.now() - toMs) < 10_000, `the range ends now (${to})`);
        const toField = await page.inputValue("input[aria-label='To']");
        assert.equal(new Date(toField).getTime(), Math.floor(toMs / 60e3) * 60e3);
      });

      await t.step("a machine that has just joined opens at Live, collecting data", async () => {
        newcomer = await startFakeWorker(master, {
          machineId: "newcomer",
          hostname: "newcomer",
          samples: 1,
        });
        await waitUntil(
          "the newcomer to register",
          async () =>
            (await api<{ id: string }[]>(master, "/api/machines")).some((x) => x.id === "newcomer"),
        );
        await page.goto(`${master.url}/#/`);
        await page.goto(`${master.url}/#/machine/newcomer`);
        await page.waitForSelector("text=Collecting data…");
        assert.equal(
          await page.getAttribute(".segs [data-range='live']", "aria-pressed"),
          "true",
        );
        assert.equal(await page.$(".chart-card"), null, "no empty charts");
        await page.screenshot({ path: `${SCREENSHOT_DIR}machine_young.png` });
        // A machine whose data fills most of the hour (back-filled) still opens at the hour.
        await page.goto(`${master.url}/#/machine/${m.id}`);
        await page.waitForSelector(".chart-card[aria-label='CPU'][data-points]");
        assert.equal(await page.getAttribute(".segs [data-range='1h']", "aria-pressed"), "true");
      });
      assert.deepEqual(errors, []);
    } finally {
      newcomer?.stop();
      await browser.close();
      await sim.stop();
      await master.stop();
    }
  },
});
