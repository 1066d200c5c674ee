import assert from "node:assert/strict";
import { parseMasterArgs } from "../../src/cli/master_args.ts";
import { createHostCheck, hostNameOf, MAX_BODY_BYTES } from "../../src/master/request_guards.ts";
import { openTempStore } from "./real_store.ts";
import { startTestMaster, UI_TOKEN } from "./test_master.ts";

async function withMaster(
  fn: (t: Awaited<ReturnType<typeof startTestMaster>>) => Promise<void>,
  options: { publicUi?: boolean; allowedHosts?: string[] } = {},
): Promise<void> {
  const temp = await openTempStore();
  const t = await startTestMaster({ store: temp.store, ...options });
  try {
    await fn(t);
  } finally {
    await t.master.close();
    await temp.dispose();
  }
}

/**
 * A raw HTTP/1.1 request (fetch always sends the Host of the URL); returns the response head
 * and as much of the body as came with it.
 */
async function rawRequest(port: number, head: string, body = ""): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n${body}`));
    let text = "";
    const buf = new Uint8Array(65536);
    const decoder = new TextDecoder();
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
      const end = text.indexOf("\r\n\r\n");
      const length = /^content-length: *(\d+)/im.exec(text)?.[1];
      if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) break;
    }
    return text;
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the peer
    }
  }
}

Deno.test("a 200 MB login body sent without a length is cut off after the limit", async () => {
  await withMaster(async (t) => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 200 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(response.status, 413);
    assert.match((await response.json()).error, new RegExp(`over ${MAX_BODY_BYTES} bytes`));
    // The master stopped reading: what the client managed to push is far from 200 MB.
    assert.ok(pulled < 32 * 1024 * 1024, `client pushed ${pulled} bytes`);
  });
});

Deno.test("a declared oversized body is refused before it is read, before auth", async () => {
  await withMaster(async (t) => {
    for (const path of ["/api/login", "/api/alerts/silences", "/api/nothing-here"]) {
      const reply = await rawRequest(
        t.master.port,
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${200 * 1024 * 1024}`,
        "{",
      );
      assert.match(reply, /^HTTP\/1\.1 413/, path);
    }
  });
});

Deno.test("a body under the limit still logs in", async () => {
  await withMaster(async (t) => {
    const response = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: UI_TOKEN }),
    });
    assert.equal(response.status, 204);
  });
});

Deno.test("a foreign Host is refused on the API, /metrics, /healthz and /ws/live, public UI or not", async () => {
  for (const publicUi of [true, false]) {
    await withMaster(async (t) => {
      for (const path of ["/api/machines", "/metrics", "/healthz", "/ws/live", "/"]) {
        const reply = await rawRequest(
          t.master.port,
          `GET ${path} HTTP/1.1\r\nHost: evil.example:${t.master.port}\r\n` +
            `Authorization: Bearer ${UI_TOKEN}`,
        );
        assert.match(reply, /^HTTP\/1\.1 421/, `${path} public=${publicUi}`);
        assert.match(reply, /--allowed-host evil\.example/);
      }
      const ok = await rawRequest(
        t.master.port,
        `GET /healthz HTTP/1.1\r\nHost: localhost:${t.master.port}`,
      );
      assert.match(ok, /^HTTP\/1\.1 200/);
      assert.ok(t.logs.some((l) => l.includes('Host "evil.example:')));
    }, { publicUi });
  }
});

Deno.test("--allowed-host names are accepted; the worker endpoint is not Host-checked", async () => {
  await withMaster(async (t) => {
    const ok = await rawRequest(
      t.master.port,
      `GET /api/machines HTTP/1.1\r\nHost: gridmon.example.com`,
    );
    assert.match(ok, /^HTTP\/1\.1 200/);
    const worker = await rawRequest(
      t.master.port,
      `GET /ws/worker HTTP/1.1\r\nHost: some-other-name.example`,
    );
    assert.match(worker, /^HTTP\/1\.1 426/);
  }, { publicUi: true, allowedHosts: ["gridmon.example.com"] });
});

Deno.test("cross-site writes are refused with --public-ui: text/plain, foreign Origin, Sec-Fetch-Site", async () => {
  await withMaster(async (t) => {
    const silence = JSON.stringify({ rule: "machine-offline", duration: "365d" });
    const attempts: [Record<string, string>, number][] = [
      [{ "content-type": "text/plain" }, 415],
      [{ "content-type": "application/json", origin: "http://evil.example" }, 403],
      [{ "content-type": "application/json", "sec-fetch-site": "cross-site" }, 403],
      [{ "content-type": "application/x-www-form-urlencoded" }, 415],
    ];
    for (const [headers, status] of attempts) {
      const response = await fetch(`${t.http}/api/alerts/silences`, {
        method: "POST",
        headers,
        body: silence,
      });
      await response.body?.cancel();
      assert.equal(response.status, status, JSON.stringify(headers));
    }
    const logout = await fetch(`${t.http}/api/logout`, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    await logout.body?.cancel();
    assert.equal(logout.status, 403);
    // The same request from the master's own origin passes the guard (and reaches the route).
    const own = await fetch(`${t.http}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", origin: t.http },
      body: JSON.stringify({ token: UI_TOKEN }),
    });
    await own.body?.cancel();
    assert.equal(own.status, 204);
  }, { publicUi: true });
});

Deno.test("the /ws/live upgrade from a rebound name is refused although Origin matches Host", async () => {
  await withMaster(async (t) => {
    const reply = await rawRequest(
      t.master.port,
      "GET /ws/live HTTP/1.1\r\nHost: rebound.example\r\nOrigin: http://rebound.example\r\n" +
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    );
    assert.match(reply, /^HTTP\/1\.1 421/);
  }, { publicUi: true });
});

Deno.test("hostNameOf strips ports and brackets", () => {
  assert.equal(hostNameOf("Example.COM:7863"), "example.com");
  assert.equal(hostNameOf("[::1]:7863"), "::1");
  assert.equal(hostNameOf("::1"), "::1");
  assert.equal(hostNameOf("10.0.0.5"), "10.0.0.5");
});

Deno.test("host check: a wildcard bind allows the interfaces, re-read when an unknown name comes", () => {
  let clock = 0;
  let addresses = ["10.0.0.5"];
  const check = createHostCheck({
    bind: "0.0.0.0",
    interfaces: () => addresses,
    hostname: () => "box",
    now: () => clock,
  });
  assert.equal(check("10.0.0.5:7863"), true);
  assert.equal(check("box:7863"), true);
  assert.equal(check("box.local"), true);
  assert.equal(check("10.0.0.6"), false);
  addresses = ["10.0.0.6"];
  assert.equal(check("10.0.0.6"), false, "re-read at most every 10 s");
  clock += 10_000;
  assert.equal(check("10.0.0.6"), true);
  assert.equal(check(undefined), false);
  const specific = createHostCheck({ bind: "10.0.0.5", interfaces: () => ["10.0.0.9"] });
  assert.equal(specific("10.0.0.9"), false);
  assert.equal(specific("10.0.0.5"), true);
});

Deno.test("--allowed-host is repeatable and refuses what is not a host", () => {
  const config = parseMasterArgs(["--allowed-host", "a.example", "--allowed-host", "[::1]:80"], {});
  assert.deepEqual(config.allowedHosts, ["a.example", "[::1]:80"]);
  assert.deepEqual(parseMasterArgs([], { GRIDMON_ALLOWED_HOST: "x.lan,y.lan" }).allowedHosts, [
    "x.lan",
    "y.lan",
  ]);
  assert.throws(() => parseMasterArgs(["--allowed-host", "http://x/"], {}), /--allowed-host/);
});
