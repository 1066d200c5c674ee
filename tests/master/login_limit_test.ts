import assert from "node:assert/strict";
import { TOKEN_GUESSES } from "../../src/master/app.ts";
import { openTempStore } from "./real_store.ts";
import { startTestMaster, UI_TOKEN } from "./test_master.ts";

async function withMaster(fn: (t: Awaited<ReturnType<typeof startTestMaster>>) => Promise<void>) {
  const temp = await openTempStore();
  const t = await startTestMaster({ store: temp.store });
  try {
    await fn(t);
  } finally {
    await t.master.close();
    await temp.dispose();
  }
}

function login(http: string, token: string) {
  return fetch(`${http}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
}

Deno.test("wrong login tokens from one address are refused with 429 after a burst, and logged", async () => {
  await withMaster(async (t) => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await login(t.http, `guess-${i}-xxxxxxxxxxxxxxx`);
      await response.body?.cancel();
      statuses.push(response.status);
    }
    assert.deepEqual(statuses.slice(0, TOKEN_GUESSES.burst), Array(TOKEN_GUESSES.burst).fill(401));
    assert.ok(statuses.slice(TOKEN_GUESSES.burst + 1).every((s) => s === 429), String(statuses));
    // While over its budget, even the right token is not looked at: no guessing through.
    const right = await login(t.http, UI_TOKEN);
    assert.equal(right.status, 429);
    assert.match(right.headers.get("retry-after") ?? "", /^\d+$/);
    assert.match((await right.json()).error, /too many wrong access tokens/);
    assert.ok(
      t.logs.some((l) => /POST \/api\/login from 127\.0\.0\.1: wrong access token/.test(l)),
    );
    assert.equal(t.logs.filter((l) => l.includes("refusing its attempts")).length, 1);
    assert.ok(t.logs.every((l) => !l.includes("guess-")), "guesses are not logged");
  });
});

Deno.test("wrong bearer tokens count too; requests without one are not limited", async () => {
  await withMaster(async (t) => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${t.http}/api/machines`, {
        headers: { authorization: `Bearer wrong-${i}-xxxxxxxxxxxxxxxx` },
      });
      await response.body?.cancel();
      statuses.push(response.status);
    }
    assert.equal(statuses.filter((s) => s === 401).length, TOKEN_GUESSES.burst);
    assert.equal(statuses.at(-1), 429);
    const metrics = await fetch(`${t.http}/metrics`, {
      headers: { authorization: `Bearer ${UI_TOKEN}` },
    });
    await metrics.body?.cancel();
    assert.equal(metrics.status, 429);
    const anonymous = await fetch(`${t.http}/api/machines`);
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 401, "no credential, nothing to limit");
  });
});
