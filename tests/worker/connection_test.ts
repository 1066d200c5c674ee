import assert from "node:assert/strict";
import { createBackoff } from "../../src/worker/backoff.ts";
import { startConnection } from "../../src/worker/connection.ts";
import { openSpool } from "../../src/worker/spool.ts";
import { PROTOCOL_VERSION } from "../../src/protocol/version.ts";

/** A WebSocket server on a random port that answers every hello with `reply` (or nothing). */
function startOddMaster(reply: string | undefined) {
  let connections = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    connections++;
    socket.onmessage = () => {
      if (reply !== undefined) socket.send(reply);
    };
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws/worker`,
    get connections() {
      return connections;
    },
    close: () => server.shutdown(),
  };
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; !predicate(); i++) {
    if (i > 500) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function hello() {
  return {
    type: "hello" as const,
    v: PROTOCOL_VERSION,
    token: "t",
    machineId: "m",
    hostname: "h",
    os: "linux",
    arch: "x86_64",
    cores: 1,
    memTotal: 1,
    agentVersion: "test",
    intervalMs: 1000,
  };
}

for (
  const [what, reply, expected] of [
    [
      "an invalid welcome",
      `{"type":"welcome","v":${PROTOCOL_VERSION}}`,
      /invalid frame \(machineId/,
    ],
    [
      "an unknown frame type",
      `{"type":"surprise","v":${PROTOCOL_VERSION}}`,
      /invalid frame \(type/,
    ],
    ["no welcome at all", undefined, /no welcome within 100 ms/],
  ] as const
) {
  Deno.test(`a master that sends ${what} is left and retried, logged once`, async () => {
    const master = startOddMaster(reply);
    const dir = await Deno.makeTempDir();
    const spool = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
    const logs: string[] = [];
    const connection = startConnection({
      url: master.url,
      hello,
      spool,
      log: (message) => logs.push(message),
      backoff: createBackoff({ initialMs: 20, maxMs: 40 }),
      // Short only where the wait is what is tested: on a loaded machine a reply can take
      // longer than 100 ms, and the first failure logged would be the timeout instead.
      welcomeTimeoutMs: reply === undefined ? 100 : 5_000,
    });
    try {
      await waitFor(() => master.connections >= 3, "three attempts");
      assert.equal(connection.state, "down");
      assert.equal(logs.length, 1, logs.join("\n"));
      assert.match(logs[0], expected);
    } finally {
      await connection.close();
      assert.equal(connection.state, "closed");
      await spool.close();
      await master.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a connection closed before it ever connected stops retrying", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: () => {} });
  const logs: string[] = [];
  const connection = startConnection({
    url: "ws://127.0.0.1:1/ws/worker",
    hello,
    spool,
    log: (message) => logs.push(message),
    backoff: createBackoff({ initialMs: 10, maxMs: 20 }),
  });
  await waitFor(() => logs.length > 0, "the first failure");
  await connection.close();
  const count = logs.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(logs.length, count);
  assert.match(logs[0], /cannot connect to ws:\/\/127\.0\.0\.1:1\/ws\/worker/);
  await spool.close();
  await Deno.remove(dir, { recursive: true });
});
