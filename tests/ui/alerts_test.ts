/**
 * Alerts in a real browser: a master with a rules file whose notifiers are a local webhook
 * receiver and a closed port, fed by the simulator (a CPU fault on sim-0001) and by a worker
 * whose hostname is HTML and whose CPU is pegged. Also the built-in rules of a master without a
 * rules file. Screenshot: tests/ui/screenshots/alerts.png.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
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

// A browser global, used only inside callbacks that run in Chromium. The test program is
// type-checked without the DOM library (it would change types for every other test).
// deno-lint-ignore no-explicit-any
declare const getComputedStyle: (el: unknown) => any;

const EVIL = "<img src=x onerror=alert(1)>";

interface AlertState {
  key: string;
  rule: string;
  machineId: string;
  machineName: string;
  silenced: boolean;
}
interface RulesAnswer {
  silences: { runtime: { id: number; rule: string; comment: string | null }[] };
}

/** A local webhook receiver that records every body it is sent. */
function receiver() {
  const hooks: { status: string; rule: string; machine: { name: string } }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    hooks.push(await req.json());
    return new Response(null, { status: 204 });
  });
  return {
    hooks,
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    close: () => server.shutdown(),
  };
}

/** A port nothing listens on (bound, then released). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function hashParams(page: Page): URLSearchParams {
  const hash = new URL(page.url()).hash;
  return new URLSearchParams(hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "");
}

/** Texts of the elements matching `selector`. */
function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ""));
}

Deno.test({
  name: "alerts: firing list, badges, deliveries, silences in Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const rx = receiver();
    const dir = await Deno.makeTempDir({ prefix: "gridmon_alerts_ui_" });
    const rulesFile = join(dir, "alerts.yaml");
    await Deno.writeTextFile(
      rulesFile,
      `notifiers:
  hook:
    type: webhook
    url: ${rx.url}
  down:
    type: webhook
    url: http://127.0.0.1:${closedPort()}/hook
rules:
  - name: cpu-hot
    kind: threshold
    metric: cpu.usage
    op: ">="
    value: 90
    for: 5s
    severity: critical
  - name: machine-down
    kind: offline
    for: 2m
    machines: "sim-*"
  - name: hot-down
    kind: offline
    for: 2s
    machines: "hot-*"
    severity: warning
silences:
  - rule: "*"
    machines: "backup-*"
    daily: "01:00-03:00"
    comment: nightly backups
`,
    );
    const [master, bare] = await Promise.all([
      startMaster(["--alerts", rulesFile]),
      startMaster(),
    ]);
    const sim = startSimulator(master, ["--workers", "3", "--faults", "cpu@1s+30m:sim-0001"]);
    const hot = await startFakeWorker(master, { machineId: "hot-host", hostname: EVIL, cpu: 99 });
    const browser = await launchBrowser();
    const dialogs: string[] = [];
    const errors: string[] = [];
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1200 } });
      const page = await loggedInPage(context, master);
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      page.on("pageerror", (e) => errors.push(e.message));
      const firing = await waitUntil("cpu-hot to fire on both hot machines", async () => {
        const { active } = await api<{ active: AlertState[] }>(master, "/api/alerts");
        const hotOnes = active.filter((a) => a.rule === "cpu-hot");
        return hotOnes.length === 2 ? hotOnes : null;
      }, 40_000);
      const sim1 = firing.find((a) => a.machineName === "sim-0001");
      assert.ok(sim1, `sim-0001 fires: ${JSON.stringify(firing)}`);
      assert.ok(firing.some((a) => a.machineId === "hot-host"));

      await t.step("the Alerts page lists what fires, naming machines as text", async () => {
        await page.click("nav a[data-nav=alerts]");
        await page.waitForSelector(".alerts-active tbody tr");
        await waitUntil("both firing rows", async () => {
          const machines = await texts(page, ".alerts-active td.machine a");
          return machines.includes(EVIL) && machines.includes("sim-0001");
        });
        assert.equal(await page.getAttribute("nav a[data-nav=alerts]", "aria-current"), "page");
        assert.equal(await page.$$eval(".page-alerts img", (els) => els.length), 0);
        const rules = await texts(page, ".alerts-active td.rule");
        assert.deepEqual(rules, ["cpu-hot", "cpu-hot"]);
        const row = await page.$eval(
          ".alerts-active tbody tr",
          (tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""),
        );
        assert.equal(row[0], "critical");
        assert.match(row[3], /^CPU on .+ is [\d.]+ % \(>= 90 % for 5s\)$/);
        assert.match(row[4], /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
        assert.match(await page.textContent(".counts") ?? "", /^2 firing/);
        // The link goes to the machine page.
        const href = await page.$$eval(
          ".alerts-active td.machine a",
          (els, name) => els.find((e) => e.textContent === name)?.getAttribute("href"),
          EVIL,
        );
        assert.equal(href, "#/machine/hot-host");
      });

      await t.step("the rules, notifiers and the file's silence are listed", async () => {
        const rules = await page.$$eval(
          ".alerts-rules-table tbody tr",
          (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
        );
        assert.deepEqual(rules[0], [
          "cpu-hot",
          "threshold",
          "cpu.usage >= 90",
          "5s",
          "all machines",
          "hook, down",
          "critical",
        ]);
        assert.deepEqual(rules[1].slice(0, 5), [
          "machine-down",
          "offline",
          "stops reporting",
          "2m",
          "sim-*",
        ]);
        // At 1400 px the rules table shows every column without scrolling (Severity was cut).
        const hidden = await page.$eval(".alerts-rules .table-scroll", (el) => {
          const e = el as unknown as { scrollWidth: number; clientWidth: number };
          return e.scrollWidth - e.clientWidth;
        });
        assert.ok(hidden <= 0, `the rules table hides ${hidden}px`);
        const silence = await texts(page, ".alerts-silences-table tbody tr td");
        assert.deepEqual(silence.slice(0, 5), [
          "all rules",
          "backup-*",
          "01:00–03:00 UTC daily",
          "nightly backups",
          "rules file",
        ]);
        // Notifiers exist: no "delivering nowhere" notice.
        assert.equal(await page.$(".alerts-notice .state-empty"), null);
      });

      await t.step("deliveries: the receiver got it, the closed port shows its error", async () => {
        await waitUntil("the webhook receiver", () => rx.hooks.some((x) => x.rule === "cpu-hot"));
        assert.equal(rx.hooks.find((x) => x.rule === "cpu-hot")?.status, "firing");
        const cells = await waitUntil("delivery outcomes in the history", async () => {
          const got = await texts(page, ".alerts-history-table td.deliveries");
          return got.length >= 2 && got.every((c) => /hook: delivered/.test(c) && /down: /.test(c))
            ? got
            : null;
        });
        const retrying = await texts(page, ".alerts-history-table .dl-retrying");
        assert.ok(retrying.length >= 2, cells.join(" | "));
        for (const text of retrying) {
          // The first attempt failed (nothing listens there); the error text is shown.
          assert.match(text, /^down: retrying \(attempt \d+ failed: \S.*\)$/);
        }
        const color = await page.$eval(
          ".dl-retrying",
          (el) => getComputedStyle(el).color,
        );
        assert.notEqual(
          color,
          await page.$eval(".dl-delivered", (el) => getComputedStyle(el).color),
        );
      });

      await t.step("the fleet row and the machine page show the badge", async () => {
        await page.click("nav a[data-nav=fleet]");
        await page.waitForSelector(".ft-body .ft-row:not([hidden])");
        const badges = await waitUntil("badges on the hot rows", async () => {
          const got = await page.$$eval(
            ".ft-body .ft-row:not([hidden])",
            (rows) =>
              Object.fromEntries(rows.map((r) => {
                const badge = r.querySelector(".alert-badge");
                return [
                  r.querySelector(".ft-name")?.textContent,
                  badge && !badge.hasAttribute("hidden") ? badge.textContent : "",
                ];
              })),
          );
          return got[EVIL] === "1" && got["sim-0001"] === "1" ? got : null;
        }, 40_000);
        assert.equal(badges["sim-0000"], "");
        assert.equal(badges["sim-0002"], "");
        assert.equal(await page.textContent("#nav-alerts"), "2");
        await page.screenshot({ path: `${SCREENSHOT_DIR}fleet_alerts.png` });
        // The filter "with alerts firing" keeps only those rows.
        await page.selectOption("select[aria-label='Filter by status']", "alerts");
        await waitUntil("only alerting rows", async () => {
          const names = await texts(page, ".ft-body .ft-row:not([hidden]) .ft-name");
          return names.length === 2 && names.includes(EVIL) && names.includes("sim-0001");
        });
        assert.equal(hashParams(page).get("status"), "alerts");
        // The badge links to the Alerts page filtered to that machine.
        await page.goto(`${master.url}/#/machine/hot-host`);
        const link = await page.waitForSelector(".page-head .alert-badge:not([hidden])");
        assert.equal(await link.textContent(), "1 alert firing");
        await link.click();
        await page.waitForURL((u) => u.hash.startsWith("#/alerts"));
        assert.equal(hashParams(page).get("machine"), "hot-host");
        await waitUntil("only the hot host's alert", async () => {
          const machines = await texts(page, ".alerts-active td.machine a");
          return machines.length === 1 && machines[0] === EVIL;
        });
        assert.equal(await page.inputValue("select[aria-label=Machine]"), "hot-host");
        await page.selectOption("select[aria-label=Machine]", "");
        await page.waitForURL((u) => !u.hash.includes("machine="));
        await waitUntil("both alerts again", async () => {
          return (await texts(page, ".alerts-active td.machine a")).length === 2;
        });
      });

      await t.step(
        "silencing from the form adds a run-time silence; ending it removes it",
        async () => {
          await page.selectOption(".silence-form select[name=rule]", "cpu-hot");
          await page.fill(".silence-form input[name=machines]", "sim-*");
          await page.selectOption(".silence-form select[name=duration]", "2h");
          await page.fill(".silence-form input[name=comment]", "deploy <b>now</b>");
          const [request] = await Promise.all([
            page.waitForRequest((r) => r.url().endsWith("/api/alerts/silences")),
            page.click(".silence-form button[type=submit]"),
          ]);
          assert.equal(request.method(), "POST");
          assert.deepEqual(request.postDataJSON(), {
            rule: "cpu-hot",
            machines: "sim-*",
            duration: "2h",
            comment: "deploy <b>now</b>",
          });
          const runtime = await waitUntil("the silence in the API", async () => {
            const r = await api<RulesAnswer>(master, "/api/alerts/rules");
            return r.silences.runtime.length === 1 ? r.silences.runtime[0] : null;
          });
          assert.equal(runtime.rule, "cpu-hot");
          const row = await page.waitForSelector(
            `.alerts-silences-table tr[data-id="${runtime.id}"]`,
          );
          const cells = await row.$$eval("td", (tds) => tds.map((td) => td.textContent));
          assert.equal(cells[0], "cpu-hot");
          assert.equal(cells[1], "sim-*");
          assert.match(cells[2] ?? "", /^until .+ \((2 h 0 min|1 h 59 min) left\)$/);
          assert.equal(cells[3], "deploy <b>now</b>");
          assert.equal(cells[4], "run time");
          // sim-0001's alert is now silenced; the hot host's is not.
          await waitUntil("the silenced flag", async () => {
            const flags = await page.$$eval(
              ".alerts-active tbody tr",
              (trs) =>
                Object.fromEntries(trs.map((tr) => [
                  tr.querySelector("td.machine a")?.textContent,
                  !!tr.querySelector(".tag-silenced"),
                ])),
            );
            return flags["sim-0001"] === true && flags[EVIL] === false;
          });
          await page.screenshot({ path: `${SCREENSHOT_DIR}alerts.png`, fullPage: true });

          const [del] = await Promise.all([
            page.waitForRequest((r) => r.method() === "DELETE"),
            row.$("button").then((b) => b?.click()),
          ]);
          assert.ok(del.url().endsWith(`/api/alerts/silences/${runtime.id}`));
          await page.waitForSelector(`.alerts-silences-table tr[data-id="${runtime.id}"]`, {
            state: "detached",
          });
          const after = await api<RulesAnswer>(master, "/api/alerts/rules");
          assert.deepEqual(after.silences.runtime, []);
        },
      );

      await t.step(
        "on a phone, dark: the page fits the width, the badge stays visible",
        async () => {
          const phone = await browser.newContext({
            viewport: { width: 390, height: 844 },
            deviceScaleFactor: 2,
            colorScheme: "dark",
          });
          const p = await loggedInPage(phone, master);
          await p.waitForSelector(".ft-body .ft-row:not([hidden]) .alert-badge:not([hidden])");
          await p.goto(`${master.url}/#/alerts`);
          await p.waitForSelector(".alerts-history-table .dl-retrying");
          const overflow = await p.evaluate(() => {
            const el = (globalThis as unknown as {
              document: { documentElement: { scrollWidth: number; clientWidth: number } };
            })
              .document.documentElement;
            return el.scrollWidth - el.clientWidth;
          });
          assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
          await p.screenshot({ path: `${SCREENSHOT_DIR}alerts_phone_dark.png`, fullPage: true });
          await phone.close();
        },
      );

      await t.step("an alert that fires shows up from the live feed alone", async () => {
        await page.waitForSelector(".alerts-active tbody tr");
        // With /api/alerts refused, only the live 'alert' frames can bring the new row.
        const refused = /\/api\/alerts\?/;
        await page.route(refused, (route) => route.abort());
        hot.stop();
        // Offline after 5 s of silence, then the rule's 2 s, then a live frame: on the shared
        // machine under the full suite this took over 20 s.
        await waitUntil("the offline alert's row", async () => {
          return (await texts(page, ".alerts-active td.rule")).includes("hot-down");
        }, 40_000);
        // Its CPU alert ends: what its data showed is no longer known, the offline alert takes
        // over (after the offline rule's 2 s).
        await waitUntil("the hot host's CPU alert to leave the firing list", async () => {
          const rows = await page.$$eval(
            ".alerts-active tbody tr",
            (trs) =>
              trs.map((tr) =>
                `${tr.querySelector("td.rule")?.textContent}|${
                  tr.querySelector("td.machine")?.textContent
                }`
              ),
          );
          return !rows.includes(`cpu-hot|${EVIL}`);
        });
        await page.unroute(refused);
        // The badges follow the live machine frames: the hot host still has one alert.
        await waitUntil("the nav count", async () => {
          return await page.textContent("#nav-alerts") === "2";
        });
        // The history says why the CPU alert ended.
        await waitUntil("the close reason in the history", async () => {
          return (await texts(page, ".alerts-history-table .close-reason")).includes(
            "machine offline",
          );
        });
      });

      await t.step("a master without a rules file says it delivers nowhere", async () => {
        // A context of its own: cookies ignore the port, so both masters' sessions would clash.
        const bareContext = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const p = await loggedInPage(bareContext, bare);
        await p.goto(`${bare.url}/#/alerts`);
        const notice = await p.waitForSelector(".alerts-notice .state-title");
        assert.equal(
          await notice.textContent(),
          "No rules file: built-in rules only, delivering nowhere — see docs",
        );
        await p.waitForSelector(".alerts-firing .state-empty");
        assert.equal(await p.textContent(".alerts-firing .state-title"), "No alerts firing");
        const rules = await texts(p, ".alerts-rules-table td.rule");
        assert.deepEqual(rules, ["machine-offline", "filesystem-full", "anomaly"]);
        assert.deepEqual(
          await texts(p, ".alerts-rules-table tbody tr td:nth-child(6)"),
          ["none", "none", "none"],
        );
        await p.screenshot({ path: `${SCREENSHOT_DIR}alerts_builtin.png`, fullPage: true });
        await bareContext.close();
      });

      assert.deepEqual(dialogs, []);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await browser.close();
      hot.stop();
      await sim.stop();
      await Promise.all([master.stop(), bare.stop()]);
      await rx.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
