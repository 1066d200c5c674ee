/**
 * UI benchmark, measured in Chromium against a real master fed by the simulator:
 * - transfer size of the first load (cold cache; assets, and everything including API data),
 * - time from navigation to the first drawn fleet table with 1,000 machines,
 * - the longest main-thread task (PerformanceObserver "longtask", which reports tasks of 50 ms
 *   or more) and the longest gap between animation frames during live updates, while the table
 *   is sorted by CPU (re-sorted every tick) and scrolled.
 *
 * GRIDMON_UI_BENCH_MACHINES (default 1000) and GRIDMON_UI_BENCH_SECONDS (default 60) change the
 * size and the length of the live phase.
 */
import { api, launchBrowser, startMaster, startSimulator, waitUntil } from "../tests/ui/harness.ts";

// Browser globals, used only inside page.evaluate() callbacks, which run in Chromium. The test
// program is type-checked without the DOM library (it would change types for every other test).
// deno-lint-ignore no-explicit-any
declare const document: any, requestAnimationFrame: any, PerformanceObserver: any;

const MACHINES = Number(Deno.env.get("GRIDMON_UI_BENCH_MACHINES") ?? 1000);
const SECONDS = Number(Deno.env.get("GRIDMON_UI_BENCH_SECONDS") ?? 60);

const master = await startMaster();
const sim = startSimulator(master, ["--workers", String(MACHINES), "--start", "now-2m"]);
const browser = await launchBrowser();
const rows: [string, string, string, boolean][] = [];
try {
  await waitUntil(`${MACHINES} machines`, async () => {
    const list = await api<{ latest: { ts: number } | null }[]>(master, "/api/machines");
    // Back-filled: every machine's newest sample is recent by its own time.
    return list.length === MACHINES &&
      list.every((m) => m.latest !== null && Date.now() - m.latest.ts < 10_000);
  }, 180_000);

  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const login = await context.request.post(`${master.url}/api/login`, {
    data: { token: master.uiToken },
  });
  if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = globalThis as unknown as Record<string, number>;
    w.__longest = 0;
    w.__longCount = 0;
    w.__maxGap = 0;
    new PerformanceObserver((list: { getEntries(): { duration: number }[] }) => {
      for (const e of list.getEntries()) {
        w.__longCount++;
        w.__longest = Math.max(w.__longest, e.duration);
      }
    }).observe({ type: "longtask", buffered: true });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let assetBytes = 0;
  let allBytes = 0;
  const types = new Map<string, string>();
  cdp.on("Network.responseReceived", (e) => types.set(e.requestId, e.type));
  cdp.on("Network.loadingFinished", (e) => {
    allBytes += e.encodedDataLength;
    const type = types.get(e.requestId);
    if (type === "Document" || type === "Script" || type === "Stylesheet") {
      assetBytes += e.encodedDataLength;
    }
  });

  await page.goto(`${master.url}/`);
  const drawnAt = await (await page.waitForFunction(
    (n) => {
      const counts = document.querySelector(".counts")?.textContent ?? "";
      const row = document.querySelector(".ft-body .ft-row:not([hidden]) .ft-name");
      return counts.startsWith(`${n} machines`) && row?.textContent ? performance.now() : false;
    },
    MACHINES,
    { polling: "raf", timeout: 30_000 },
  )).jsonValue() as number;
  await page.waitForLoadState("networkidle").catch(() => {});
  rows.push([
    "first load transfer, HTML + JS + CSS (compressed)",
    `${(assetBytes / 1024).toFixed(1)} KB`,
    "< 200 KB",
    assetBytes < 200 * 1024,
  ]);
  rows.push([
    `first load transfer, everything incl. API data (${MACHINES} machines)`,
    `${(allBytes / 1024).toFixed(1)} KB`,
    "(info)",
    true,
  ]);
  rows.push([
    `navigation to first drawn fleet, ${MACHINES} machines`,
    `${drawnAt.toFixed(0)} ms`,
    "< 1000 ms",
    drawnAt < 1000,
  ]);

  // Live phase: sort by CPU (re-sorted every tick), scroll now and then, watch frame gaps.
  await page.click("button.ft-sort[data-key=cpu]");
  await page.evaluate(() => {
    const w = globalThis as unknown as Record<string, number>;
    w.__longest = 0;
    w.__longCount = 0;
    w.__maxGap = 0;
    let last = performance.now();
    const loop = (t: number) => {
      w.__maxGap = Math.max(w.__maxGap, t - last);
      last = t;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  const ticksBefore = await page.evaluate(() => performance.now());
  const end = Date.now() + SECONDS * 1000;
  let step = 0;
  while (Date.now() < end) {
    await page.mouse.wheel(0, step++ % 6 < 3 ? 2400 : -2400);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const live = await page.evaluate(() => {
    const w = globalThis as unknown as Record<string, number>;
    return { longest: w.__longest, count: w.__longCount, maxGap: w.__maxGap };
  });
  const elapsed = (await page.evaluate(() => performance.now())) - ticksBefore;
  rows.push([
    `longest main-thread task, ${(elapsed / 1000).toFixed(0)} s of live updates`,
    live.count ? `${live.longest.toFixed(0)} ms (${live.count} tasks ≥ 50 ms)` : "none ≥ 50 ms",
    "< 50 ms",
    live.count === 0,
  ]);
  rows.push([
    "longest gap between animation frames in that time",
    `${live.maxGap.toFixed(0)} ms`,
    "(info)",
    true,
  ]);

  // The other pages, 10 s each (hash navigation keeps the page, so the observer stays).
  const someId = await page.evaluate(() =>
    document.querySelector(".ft-body .ft-row:not([hidden]) .ft-name")?.getAttribute("href")
  );
  for (
    const [label, hash] of [
      ["anomalies page (scatter, latest state of every machine)", "#/anomalies?range=1h"],
      ["alerts page (firing, history, rules, silences)", "#/alerts"],
      ["machine page, live charts", `${someId}?range=live`],
    ]
  ) {
    await page.evaluate((h: string) => {
      const w = globalThis as unknown as Record<string, number>;
      w.__longest = 0;
      w.__longCount = 0;
      (globalThis as unknown as { location: { hash: string } }).location.hash = h;
    }, hash);
    await new Promise((r) => setTimeout(r, 10_000));
    const r = await page.evaluate(() => {
      const w = globalThis as unknown as Record<string, number>;
      return { longest: w.__longest, count: w.__longCount };
    });
    rows.push([
      `longest main-thread task, 10 s on the ${label}`,
      r.count ? `${r.longest.toFixed(0)} ms (${r.count} tasks ≥ 50 ms)` : "none ≥ 50 ms",
      "< 50 ms",
      r.count === 0,
    ]);
  }
  await context.close();
} finally {
  await browser.close();
  await sim.stop();
  await master.stop();
}

console.log("| measure | value | target | met |");
console.log("|---|---|---|---|");
for (const [what, value, target, ok] of rows) {
  console.log(`| ${what} | ${value} | ${target} | ${ok ? "yes" : "NO"} |`);
}
