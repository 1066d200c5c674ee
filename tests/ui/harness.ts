/**
 * Browser-test harness: a real master (subprocess, free port, temp data dir), the simulator
 * feeding it, a hand-driven worker for odd hostnames, and one headless Chromium.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { startMasterProcess } from "../helpers/master_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
/** Where the tests write their screenshots. */
export const SCREENSHOT_DIR = `${ROOT}tests/ui/screenshots/`;

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A running master. */
export interface MasterProcess {
  url: string;
  port: number;
  uiToken: string;
  joinToken: string;
  dataDir: string;
  /** Everything it printed so far (stdout and stderr). */
  log: () => string;
  stop: () => Promise<void>;
}

/** Reads a stream line by line, calling `onLine` for each, until it ends. */
async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer) onLine(buffer);
}

/** Starts `gridmon master` on a free port with a fresh data directory and waits until it listens. */
export async function startMaster(extraArgs: string[] = []): Promise<MasterProcess> {
  const dataDir = await Deno.makeTempDir({ prefix: "gridmon_ui_" });
  const { child, ready: info, output, done } = await startMasterProcess({
    denoFlags: ["--allow-all"],
    port: 0,
    dataDir,
    args: extraArgs,
    inRepoRoot: true,
    ready: (text) => {
      // Whole lines only: a token cut between two chunks is not the token.
      const lines = text.slice(0, text.lastIndexOf("\n") + 1);
      const dash = lines.match(/Dashboard: (http:\/\/[^/\s]+)\/(?:login#token=(\S+))?/);
      const worker = lines.match(/gridmon worker .*--token (\S+)/);
      if (!dash || !worker) return undefined;
      return { url: dash[1], uiToken: dash[2] ?? "", joinToken: worker[1] };
    },
  });
  return {
    ...info,
    port: Number(new URL(info.url).port),
    dataDir,
    log: output,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await done;
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A running simulator. */
export interface SimulatorProcess {
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `gridmon simulate` against `master` with extra flags (`--workers`, `--faults`, ...). */
export function startSimulator(master: MasterProcess, args: string[]): SimulatorProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "simulate",
      "--master",
      `127.0.0.1:${master.port}`,
      "--token",
      master.joinToken,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let out = "";
  const done = Promise.all([
    pumpLines(child.stdout, (l) => (out += `${l}\n`)),
    pumpLines(child.stderr, (l) => (out += `${l}\n`)),
  ]);
  return {
    output: () => out,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await done.catch(() => {});
    },
  };
}

export { startFakeWorker } from "../helpers/fake_worker.ts";

/** Launches Debian's Chromium headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A page logged in through the link the master prints (`/login#token=...`). */
export async function loggedInPage(
  context: BrowserContext,
  master: MasterProcess,
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${master.url}/login#token=${master.uiToken}`);
  await page.waitForURL((u) => u.pathname === "/" && !u.hash.includes("token"));
  return page;
}

/** GET an API path with the access token. */
export async function api<T = unknown>(master: MasterProcess, path: string): Promise<T> {
  const res = await fetch(`${master.url}${path}`, {
    headers: { Authorization: `Bearer ${master.uiToken}` },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}
