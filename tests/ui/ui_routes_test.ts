/** The UI's HTTP routes on a bare Hono app: pages, login gate, assets, caching, compression. */
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Hono } from "hono";
import { registerUiRoutes } from "../../src/master/ui_routes.ts";
import { ASSET_PREFIX, pickEncoding, UI_ASSETS } from "../../src/master/ui_assets.ts";

function makeApp(opts: { publicUi?: boolean; join?: boolean } = {}) {
  const app = new Hono();
  registerUiRoutes(app, {
    isAuthenticated: (c) => c.req.header("authorization") === "Bearer good",
    publicUi: opts.publicUi ?? false,
    joinCommand: opts.join === false ? undefined : () => "gridmon worker --master m:7863 --token J",
  });
  return app;
}

const AUTH = { authorization: "Bearer good" };

Deno.test("GET / serves the login page without a session and the app with one", async () => {
  const app = makeApp();
  const anon = await (await app.request("/")).text();
  assert.match(anon, /login\.js/);
  assert.doesNotMatch(anon, /app\.js/);
  const authed = await (await app.request("/", { headers: AUTH })).text();
  assert.match(authed, /app\.js/);
});

Deno.test("GET / serves the app to everyone with --public-ui", async () => {
  const text = await (await makeApp({ publicUi: true }).request("/")).text();
  assert.match(text, /app\.js/);
});

Deno.test("pages carry a CSP and have no inline script or style", async () => {
  const app = makeApp();
  for (const path of ["/", "/login"]) {
    const res = await app.request(path, { headers: AUTH });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const html = await res.text();
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\ssrc="/);
    assert.doesNotMatch(html, /\sstyle=/);
    assert.doesNotMatch(html, /<style/);
    assert.doesNotMatch(html, /\son[a-z]+=/);
  }
});

Deno.test("every asset a page references is served with its content type, immutable", async () => {
  const app = makeApp();
  const html = await (await app.request("/", { headers: AUTH })).text() +
    await (await app.request("/login")).text();
  const refs = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.length >= 5);
  for (const ref of refs) {
    assert.ok(ref.startsWith(ASSET_PREFIX), ref);
    const res = await app.request(ref);
    assert.equal(res.status, 200, ref);
    assert.match(
      res.headers.get("content-type") ?? "",
      ref.endsWith(".css") ? /^text\/css/ : /^text\/javascript/,
    );
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    await res.body?.cancel();
  }
});

Deno.test("every relative import of every module is an embedded asset", () => {
  for (const [path, asset] of UI_ASSETS) {
    if (!path.endsWith(".js") || path.startsWith("vendor/")) continue;
    const text = new TextDecoder().decode(asset.body);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const resolved = new URL(m[1], `https://x/${path}`).pathname.slice(1);
      assert.ok(UI_ASSETS.has(resolved), `${path} imports ${m[1]}, which is not embedded`);
    }
  }
});

Deno.test("assets answer If-None-Match with 304", async () => {
  const app = makeApp();
  const url = `${ASSET_PREFIX}app.js`;
  const first = await app.request(url);
  const etag = first.headers.get("etag");
  assert.ok(etag);
  await first.body?.cancel();
  const again = await app.request(url, { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
});

Deno.test("assets are compressed with brotli or gzip when the client accepts it", async () => {
  const app = makeApp();
  const url = `${ASSET_PREFIX}gen/vendor.js`;
  const plain = new Uint8Array(await (await app.request(url)).arrayBuffer());
  const br = await app.request(url, { headers: { "accept-encoding": "gzip, deflate, br" } });
  assert.equal(br.headers.get("content-encoding"), "br");
  const brBody = new Uint8Array(await br.arrayBuffer());
  assert.ok(brBody.length < plain.length / 2);
  assert.deepEqual(new Uint8Array(brotliDecompressSync(brBody)), plain);
  const gz = await app.request(url, { headers: { "accept-encoding": "gzip" } });
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  assert.deepEqual(new Uint8Array(gunzipSync(new Uint8Array(await gz.arrayBuffer()))), plain);
  const none = await app.request(url, { headers: { "accept-encoding": "br;q=0, gzip;q=0" } });
  assert.equal(none.headers.get("content-encoding"), null);
  await none.body?.cancel();
});

Deno.test("an asset under an old build id is still served, but not cached for ever", async () => {
  const res = await makeApp().request("/assets/0123456789abcdef/app.js");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  await res.body?.cancel();
  const missing = await makeApp().request(`${ASSET_PREFIX}nope.js`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("GET /api/join gives the worker command to logged-in users only", async () => {
  const app = makeApp();
  assert.equal((await app.request("/api/join")).status, 401);
  const res = await app.request("/api/join", { headers: AUTH });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { command: "gridmon worker --master m:7863 --token J" });
  const without = await makeApp({ join: false }).request("/api/join", { headers: AUTH });
  assert.equal(without.status, 404);
  await without.body?.cancel();
});

Deno.test("every file under static/ is embedded", async () => {
  const root = new URL("../../static/", import.meta.url);
  const found: string[] = [];
  async function walk(dir: URL, prefix: string) {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`);
      else found.push(`${prefix}${e.name}`);
    }
  }
  await walk(root, "");
  for (const path of found) {
    if (path.endsWith(".html")) continue; // pages, served at / and /login
    assert.ok(UI_ASSETS.has(path), `static/${path} is not in src/master/ui_assets.ts`);
  }
});

Deno.test("pickEncoding() prefers brotli, honours q=0 and wildcards", () => {
  assert.equal(pickEncoding("gzip, deflate, br, zstd"), "br");
  assert.equal(pickEncoding("gzip"), "gzip");
  assert.equal(pickEncoding("br;q=0, gzip;q=0.5"), "gzip");
  assert.equal(pickEncoding("*"), "br");
  assert.equal(pickEncoding("identity"), undefined);
  assert.equal(pickEncoding(undefined), undefined);
});
