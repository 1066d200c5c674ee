/**
 * The dashboard in a real browser (Debian's Chromium), against a real master fed by the
 * simulator (40 minutes of back-filled history, a CPU fault on sim-0003) and by a worker whose
 * hostname is HTML. One browser for the whole file; screenshots go to tests/ui/screenshots/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { DEFAULT_RETENTION, parseRetention } from "../../src/cli/master_args.ts";
import { openStore } from "../../src/master/store/sqlite_store.ts";
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

// Browser globals, used only inside page.evaluate() callbacks, which run in Chromium. The test
// program is type-checked without the DOM library (it would change types for every other test).
// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare const location: any;

const WORKERS = 12;
const EVIL = "<img src=x onerror=alert(1)>";
const HOUR = 3600e3;

interface Machine {
  id: string;
  name: string;
  anomaly: { score: number | null };
}
interface AnomalyEvent {
  machineId: string;
  machineName: string;
  start: number;
  end: number | null;
}

/** Share of the plain background in a vertical canvas column (at time `tMs`) tinted pink (red, not orange). */
function redShareAt(page: Page, cardSelector: string, tMs: number): Promise<number> {
  return page.evaluate(([sel, t]) => {
    const card = document.querySelector(sel);
    const canvas = card.querySelector("canvas");
    const over = card.querySelector(".u-over");
    const from = Number(card.dataset.from);
    const to = Number(card.dataset.to);
    const scale = canvas.width / canvas.clientWidth;
    const x = Math.round((over.offsetLeft + ((t - from) / (to - from)) * over.clientWidth) * scale);
    const top = Math.round(over.offsetTop * scale);
    const height = Math.round(over.clientHeight * scale);
    const data = canvas.getContext("2d")!.getImageData(x, top, 1, height).data;
    // Share of the column's background that is tinted red: pixels covered by series lines or
    // grid lines count neither way, so a noisy series over the band does not hide the shading.
    let red = 0;
    let plain = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a > 0 && r > g + 12 && Math.abs(g - b) < 30) red++;
      else if (a === 0 || (r > 235 && g > 235 && b > 235)) plain++;
    }
    return red + plain === 0 ? 0 : red / (red + plain);
  }, [cardSelector, tMs] as const);
}

/**
 * Waits (10 s) until the column at `tMs` of the card's chart is shaded (more than half of its
 * background tinted): a chart may still be sizing or repainting when the page looks ready.
 */
async function waitShaded(page: Page, cardSelector: string, tMs: number, what: string) {
  let share = 0;
  await waitUntil(
    what,
    async () => (share = await redShareAt(page, cardSelector, tMs)) > 0.5,
    10_000,
  )
    .catch(() => assert.fail(`${what}: shaded share inside the event ${share}`));
}

/** Pixels of a canvas in a card that have (about) the colour of the first series. */
function seriesPixels(page: Page, cardSelector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(`${sel} canvas`);
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const d = Math.abs(data[i] - 59) + Math.abs(data[i + 1] - 130) + Math.abs(data[i + 2] - 246);
      if (data[i + 3] > 200 && d < 60) n++;
    }
    return n;
  }, cardSelector);
}

function hashParams(page: Page): URLSearchParams {
  const hash = new URL(page.url()).hash;
  return new URLSearchParams(hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "");
}

Deno.test({
  name: "dashboard: fleet, machine charts, zoom, anomalies and hostile hostnames in Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const master = await startMaster();
    const sim = startSimulator(master, [
      "--workers",
      String(WORKERS),
      "--start",
      "now-40m",
      "--faults",
      "cpu@28m+6m:sim-0003",
    ]);
    const evil = await startFakeWorker(master, { machineId: "evil-host", hostname: EVIL });
    const browser = await launchBrowser();
    const dialogs: string[] = [];
    const errors: string[] = [];
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1700 } });
      const machines = await waitUntil("every machine to register", async () => {
        const list = await api<Machine[]>(master, "/api/machines");
        return list.length === WORKERS + 1 ? list : null;
      }, 30_000);
      // The back-fill is done when the newest sample of every simulated machine is recent: its
      // own time, not when it arrived (a back-filled sample arrives now, however old it is). A
      // deadline, not a speed check: on the shared, loaded machine 40 minutes of 12 machines,
      // with their process scans, take longer than 30 s at times (bench/ingest_bench.ts measures).
      await waitUntil("the simulator's back-fill", async () => {
        const list = await api<{ latest: { ts: number } | null }[]>(master, "/api/machines");
        return list.every((m) => m.latest !== null && Date.now() - m.latest.ts < 5000);
      }, 90_000);
      /** Paths of the API requests the pages make. */
      const apiPaths: string[] = [];
      context.on("request", (r) => {
        const path = new URL(r.url()).pathname;
        if (path.startsWith("/api/")) apiPaths.push(path);
      });
      const page = await loggedInPage(context, master);
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      page.on("pageerror", (e) => errors.push(e.message));

      await t.step("the login link leaves no token in the address bar", () => {
        assert.ok(!page.url().includes(master.uiToken));
        assert.ok(!page.url().includes("token"));
      });

      await t.step("the fleet lists every simulated machine with its status", async () => {
        await page.waitForSelector(".ft-body .ft-row:not([hidden])");
        const names = await waitUntil("all rows", async () => {
          const got = await page.$$eval(
            ".ft-body .ft-row:not([hidden]) .ft-name",
            (els) => els.map((e) => e.textContent),
          );
          return got.length === WORKERS + 1 ? got : null;
        });
        for (let i = 0; i < WORKERS; i++) {
          assert.ok(names.includes(`sim-${String(i).padStart(4, "0")}`), `sim-${i} missing`);
        }
        // Every machine is up; the detector may already call one of them anomalous. A machine
        // counts as offline after 5 s without a sample, which a starved simulator on a loaded
        // machine can reach for a moment: wait for the whole fleet to report, not one instant.
        let counts: string | null = null;
        const m = await waitUntil("every machine online", async () => {
          counts = await page.textContent(".counts");
          return (counts ?? "").match(
            /^(\d+) machines · (\d+) online · (\d+) anomalous · 0 offline$/,
          );
        }, 30_000).catch((error) => assert.fail(`${error.message}; counts: ${counts}`));
        assert.equal(Number(m[1]), WORKERS + 1);
        assert.equal(Number(m[2]) + Number(m[3]), WORKERS + 1);
        // Sparklines were fetched and drawn: the canvas is not blank.
        await waitUntil("a drawn sparkline", () =>
          page.evaluate(() => {
            const c = document.querySelector(".ft-body .ft-row:not([hidden]) canvas.spark");
            if (!c || !c.width) return false;
            const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
            return d.some((v: number, i: number) => i % 4 === 3 && v > 0);
          }), 45_000); // the sparklines' history request waits behind the back-fill's writes
        // All the rows' sparklines came in one request (or a few, as rows came into view),
        // not one per machine.
        const perMachine = apiPaths.filter((p) => /^\/api\/machines\/.+\/series$/.test(p));
        const batched = apiPaths.filter((p) => p === "/api/fleet/sparklines");
        assert.deepEqual(perMachine, [], "no per-machine series requests on the fleet page");
        assert.ok(batched.length >= 1 && batched.length <= 3, `${batched.length} requests`);
        await page.screenshot({ path: `${SCREENSHOT_DIR}fleet.png` });
      });

      await t.step(
        "search and the status filter narrow the table and go into the URL",
        async () => {
          await page.fill("input[type=search]", "sim-000");
          await waitUntil(
            "10 rows",
            async () => (await page.$$(".ft-body .ft-row:not([hidden])")).length === 10,
          );
          assert.equal(hashParams(page).get("q"), "sim-000");
          await page.selectOption("select[aria-label='Filter by status']", "offline");
          await page.waitForSelector("text=No machine matches this search.");
          await page.click("text=Clear search and filter");
          await waitUntil(
            "all rows back",
            async () => (await page.$$(".ft-body .ft-row:not([hidden])")).length === WORKERS + 1,
          );
        },
      );

      await t.step("a hostname made of HTML shows as text and runs nothing", async () => {
        const texts = await page.$$eval(".ft-name", (els) => els.map((e) => e.textContent));
        assert.ok(texts.includes(EVIL));
        assert.equal(await page.$$eval("img", (els) => els.length), 0);
        await page.goto(`${master.url}/#/machine/evil-host`);
        await page.waitForSelector(".machine-name");
        await waitUntil("the name", async () => (await page.textContent(".machine-name")) === EVIL);
        await page.waitForSelector(".chart-card[data-points]");
        assert.equal(await page.$$eval("img", (els) => els.length), 0);
        assert.deepEqual(dialogs, []);
      });

      const sim3 = machines.find((m) => m.name === "sim-0003");
      assert.ok(sim3, "sim-0003 is registered");

      await t.step("a machine page draws its charts with data", async () => {
        await page.goto(`${master.url}/#/machine/${sim3.id}?range=1h`);
        const cpu = ".chart-card[aria-label='CPU']";
        await page.waitForSelector(`${cpu}[data-points]`);
        const points = Number(await page.getAttribute(cpu, "data-points"));
        assert.ok(points > 100, `CPU chart has ${points} points`);
        for (
          const title of [
            "Memory",
            "Load average",
            "Disk I/O",
            "Network",
            "Network errors and drops",
            "Filesystem usage",
          ]
        ) {
          await page.waitForSelector(`.chart-card[aria-label='${title}'][data-points]`);
        }
        assert.ok(await seriesPixels(page, cpu) > 200, "the CPU line is drawn");
        await page.check("#per-core");
        await page.waitForSelector(".chart-card[aria-label='CPU per core'][data-points]");
        assert.equal(hashParams(page).get("cores"), "1");
        await page.uncheck("#per-core");
        await waitUntil(
          "no per-core chart",
          async () => !(await page.$(".chart-card[aria-label='CPU per core']")),
        );
        await page.screenshot({ path: `${SCREENSHOT_DIR}machine.png`, fullPage: true });
      });

      await t.step("dragging on a chart zooms in; double-click resets; back returns", async () => {
        const cpu = ".chart-card[aria-label='CPU']";
        const box = (await page.locator(`${cpu} .u-over`).boundingBox())!;
        const y = box.y + box.height / 2;
        await page.mouse.move(box.x + box.width * 0.3, y);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.45, y, { steps: 5 });
        await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
        await page.mouse.up();
        await waitUntil("the zoomed URL", () => hashParams(page).has("from"));
        const from = Number(hashParams(page).get("from"));
        const to = Number(hashParams(page).get("to"));
        assert.ok(to - from > 0.2 * HOUR && to - from < 0.4 * HOUR, `zoomed span ${to - from}`);
        await waitUntil("the zoomed chart", async () => {
          const shown = Number(await page.getAttribute(cpu, "data-from"));
          return Math.abs(shown - from) < 1000;
        });
        const zoomed = page.url();
        await page.dblclick(`${cpu} .u-over`);
        await waitUntil("the reset URL", () => !hashParams(page).has("from"));
        assert.equal(hashParams(page).get("range"), "1h");
        await page.goBack();
        await waitUntil("back to the zoom", () => page.url() === zoomed);
      });

      await t.step("live mode updates the charts with every sample", async () => {
        await page.goto(`${master.url}/#/machine/${sim3.id}?range=live`);
        const cpu = ".chart-card[aria-label='CPU']";
        await page.waitForSelector(`${cpu}[data-points]`);
        const first = Number(await page.getAttribute(cpu, "data-to"));
        await waitUntil("a newer sample", async () => {
          return Number(await page.getAttribute(cpu, "data-to")) > first + 1500;
        }, 10_000);
      });

      await t.step(
        "the injected anomaly is shaded on the charts and listed in the events table",
        async () => {
          // The master scores every sample; the CPU fault on sim-0003 must open an event.
          const events = await waitUntil("an anomaly event on sim-0003", async () => {
            const list = await api<AnomalyEvent[]>(
              master,
              `/api/anomalies?from=${Date.now() - HOUR}&to=${Date.now()}&machine=${sim3.id}`,
            );
            return list.length ? list : null;
          }, 30_000);
          await page.goto(`${master.url}/#/machine/${sim3.id}?range=1h`);
          const cpu = ".chart-card[aria-label='CPU']";
          await page.waitForSelector(`${cpu}[data-points]`);
          await page.waitForSelector(".events tbody tr");
          await page.waitForSelector(".chart-card[aria-label='Anomaly score'][data-points]");
          await page.screenshot({ path: `${SCREENSHOT_DIR}machine_detected.png` });
          const e = events[events.length - 1];
          const mid = (e.start + (e.end ?? Date.now())) / 2;
          await waitShaded(page, cpu, mid, "the detected event shaded on the CPU chart");
          const outside = await redShareAt(page, cpu, Date.now() - 50 * 60e3);
          assert.ok(outside < 0.2, `shaded share outside: ${outside}`);
          await page.goto(`${master.url}/#/anomalies?range=1h`);
          await page.waitForSelector(".events tbody tr");
          const machinesInTable = await page.$$eval(
            ".events tbody tr td:first-child",
            (tds) => tds.map((td) => td.textContent),
          );
          assert.ok(machinesInTable.includes("sim-0003"));
        },
      );

      await t.step("a stored anomaly event is shaded on every chart and listed", async () => {
        // Written through the store, as the detector does, so this part of the UI is checked
        // whether or not a detector is running.
        const start = Date.now() - 12 * 60e3;
        const end = start + 6 * 60e3;
        const store = openStore({
          path: `${master.dataDir}/gridmon.db`,
          retention: parseRetention(DEFAULT_RETENTION),
        });
        try {
          store.openAnomaly({
            machineId: sim3.id,
            start,
            end,
            peakScore: 0.81,
            reason: "cpu.usage",
            closeReason: "offline",
            causes: [
              { metric: "cpu.usage", value: 97.5, normalLow: 5, normalHigh: 35, contribution: 0.7 },
            ],
          });
        } finally {
          store.close();
        }
        await page.goto(`${master.url}/#/machine/${sim3.id}?range=1h`);
        await page.waitForSelector(".events tbody tr");
        await page.waitForSelector(".chart-card[aria-label='Filesystem usage'][data-points]");
        const cards = await page.$$eval(
          ".chart-card[data-points]",
          (els) => els.map((e) => e.getAttribute("aria-label")),
        );
        assert.ok(cards.length >= 5);
        for (const title of cards) {
          const card = `.chart-card[aria-label='${title}']`;
          await waitShaded(page, card, (start + end) / 2, `${title}: the stored event shaded`);
          const outside = await redShareAt(page, card, start - 10 * 60e3);
          assert.ok(outside < 0.2, `${title}: shaded share outside ${outside}`);
        }
        await page.screenshot({ path: `${SCREENSHOT_DIR}machine_anomaly.png` });
        // The detector may have opened its own event for the injected fault at about the same
        // time: find the stored event's row rather than taking the first one.
        const causes = await page.$$eval(
          ".events tbody tr .cause",
          (els) => els.map((e) => e.textContent),
        );
        assert.ok(
          causes.some((c) => /^CPU 98 % \(usually 5\.0–35 %\)/.test(c ?? "")),
          `causes listed: ${JSON.stringify(causes)}`,
        );
        // Its row says how it ended, in words.
        const ended = await page.$$eval(
          ".events tbody tr",
          (trs) =>
            trs.map((
              tr,
            ) => [
              tr.querySelector(".cause")?.textContent,
              tr.querySelector(".ended")?.textContent,
            ]),
        );
        assert.ok(
          ended.some(([c, e]) => /^CPU 98 %/.test(c ?? "") && e === "machine went offline"),
          `events: ${JSON.stringify(ended)}`,
        );
        await page.goto(`${master.url}/#/anomalies?range=1h`);
        await page.waitForSelector(".events tbody tr");
        await page.screenshot({ path: `${SCREENSHOT_DIR}anomalies_event.png`, fullPage: true });
        const names = await page.$$eval(
          ".events tbody td:first-child",
          (tds) => tds.map((td) => td.textContent),
        );
        assert.ok(names.includes("sim-0003"));
      });

      await t.step("the anomalies page draws the scatter and the latest state", async () => {
        await page.goto(`${master.url}/#/anomalies?range=1h`);
        await page.waitForSelector(".scatter");
        await waitUntil(
          "the scatter info",
          async () =>
            /\d+ samples/.test(await page.textContent(".page-anomalies [role=status]") ?? ""),
        );
        const states = await page.$$eval(".state-word", (els) => els.length);
        assert.equal(states, WORKERS + 1);
        // Hovering a point names its machine.
        const to = Date.now();
        const sc = await api<{ cpu: number[]; mem: number[] }>(
          master,
          `/api/scatter?from=${to - HOUR}&to=${to}&limit=5000`,
        );
        const i = Math.floor(sc.cpu.length / 2);
        const box = (await page.locator("canvas.scatter").boundingBox())!;
        const [left, top, right, bottom] = [48, 10, 12, 36];
        await page.mouse.move(
          box.x + left + (sc.cpu[i] / 100) * (box.width - left - right),
          box.y + top + (1 - sc.mem[i] / 100) * (box.height - top - bottom),
        );
        await page.waitForSelector(".tip:not([hidden])");
        assert.match(await page.textContent(".tip") ?? "", /(sim-\d{4}|<img)[\s\S]*CPU \d/);
        // Another selection (a link, a keyboard, back), the pointer still over the plot: the
        // tip about a point of the old one goes away.
        await page.evaluate(() => (location.hash = "#/anomalies?range=6h"));
        await page.waitForSelector(".tip", { state: "hidden" });
        await page.screenshot({ path: `${SCREENSHOT_DIR}anomalies.png`, fullPage: true });
      });

      await t.step("dark theme and a phone-sized screen", async () => {
        const phone = await browser.newContext({
          viewport: { width: 390, height: 844 },
          deviceScaleFactor: 2,
          colorScheme: "dark",
        });
        const p = await loggedInPage(phone, master);
        await p.waitForSelector(".ft-body .ft-row:not([hidden])");
        const overflow = await p.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
        await p.screenshot({ path: `${SCREENSHOT_DIR}phone_fleet_dark.png` });
        await p.goto(`${master.url}/#/machine/${sim3.id}?range=1h`);
        await p.waitForSelector(".chart-card[data-points]");
        await p.screenshot({ path: `${SCREENSHOT_DIR}phone_machine_dark.png` });
        await phone.close();
      });

      await t.step("keyboard: rows take focus and Enter opens the machine", async () => {
        await page.goto(`${master.url}/#/`);
        await page.waitForSelector(".ft-body .ft-row:not([hidden])");
        await page.focus(".ft-body .ft-row:not([hidden])");
        await page.keyboard.press("ArrowDown");
        const focused = await page.evaluate(() =>
          document.activeElement?.querySelector(".ft-name")?.textContent
        );
        assert.ok(focused, "a row has focus");
        await page.keyboard.press("Enter");
        await waitUntil(
          "the machine page",
          async () => (await page.textContent(".machine-name")) === focused,
        );
      });

      assert.deepEqual(dialogs, [], "no dialog opened");
      assert.deepEqual(errors, [], "no uncaught error in the page");
      await context.close();
    } finally {
      await browser.close();
      evil.stop();
      await sim.stop();
      await master.stop();
    }
  },
});
