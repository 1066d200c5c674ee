/** A logout outlives a restart of the master: the revoked cookie stays refused. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, spawnMasterChild } from "./master_process.ts";

const TOKEN = "logout-restart-join-token-0123";

Deno.test("a cookie revoked by logout is still refused after the master restarts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_logout_" });
  const dataDir = join(dir, "data");
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const start = () => spawnMasterChild({ dataDir, port, token: TOKEN });
  let master = await start();
  try {
    const uiToken = (await Deno.readTextFile(join(dataDir, "ui-token"))).trim();
    const login = async () => {
      const res = await fetch(`${base}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ token: uiToken }),
      });
      assert.equal(res.status, 204);
      return /gridmon_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")![1];
    };
    const status = async (cookie: string) => {
      const res = await fetch(`${base}/api/machines`, {
        headers: { cookie: `gridmon_session=${cookie}` },
      });
      await res.body?.cancel();
      return res.status;
    };
    const loggedOut = await login();
    const kept = await login();
    const res = await fetch(`${base}/api/logout`, {
      method: "POST",
      headers: { cookie: `gridmon_session=${loggedOut}`, origin: base },
    });
    assert.equal(res.status, 204);
    assert.equal(await status(loggedOut), 401);
    assert.equal(await status(kept), 200);

    master.child.kill("SIGTERM");
    await master.done;
    master = await start();
    assert.equal(await status(loggedOut), 401, "logout forgotten by the restart");
    assert.equal(await status(kept), 200, "the other session survives the restart");
  } finally {
    master.child.kill("SIGTERM");
    await master.done;
    await Deno.remove(dir, { recursive: true });
  }
});
