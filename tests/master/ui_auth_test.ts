import assert from "node:assert/strict";
import { Hono } from "hono";
import { createUiAuth, SESSION_MAX_AGE_S } from "../../src/master/ui_auth.ts";

const TOKEN = "access-token-0123456789";

/** Asks `auth.isAuthenticated` about a request with `headers`, through a real Hono context. */
async function allowed(auth: ReturnType<typeof createUiAuth>, headers: HeadersInit) {
  const app = new Hono();
  app.get("/", (c) => c.json(auth.isAuthenticated(c)));
  return await (await app.request("/", { headers })).json();
}

Deno.test("isAuthenticated() accepts the bearer token and a session cookie, nothing else", async () => {
  let now = 1_000_000;
  const auth = createUiAuth({ accessToken: TOKEN, publicUi: false, now: () => now });
  const session = auth.issueSession();
  assert.equal(await allowed(auth, {}), false);
  assert.equal(await allowed(auth, { Authorization: `Bearer ${TOKEN}` }), true);
  assert.equal(await allowed(auth, { Authorization: `Bearer ${TOKEN}x` }), false);
  assert.equal(await allowed(auth, { Authorization: `Basic ${TOKEN}` }), false);
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${session}` }), true);
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${TOKEN}` }), false);
  const [v, issued, nonce, mac] = session.split(".");
  const flipped = `${v}.${issued}.${nonce}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${flipped}` }), false);
  const older = `${v}.${Number(issued) - 1}.${nonce}.${mac}`;
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${older}` }), false);
  now += SESSION_MAX_AGE_S * 1000 + 1;
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${session}` }), false, "expired");
});

Deno.test("a session from another access token is refused", async () => {
  const other = createUiAuth({ accessToken: "another-token-000000", publicUi: false });
  const auth = createUiAuth({ accessToken: TOKEN, publicUi: false });
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${other.issueSession()}` }), false);
});

Deno.test("revokeSession() ends that session only", async () => {
  const auth = createUiAuth({ accessToken: TOKEN, publicUi: false });
  const a = auth.issueSession();
  const b = auth.issueSession();
  auth.revokeSession(a);
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${a}` }), false);
  assert.equal(await allowed(auth, { Cookie: `gridmon_session=${b}` }), true);
});

Deno.test("with publicUi every request is authenticated", async () => {
  const auth = createUiAuth({ accessToken: TOKEN, publicUi: true });
  assert.equal(await allowed(auth, {}), true);
});
