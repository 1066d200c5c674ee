/** The on-disk queue (bounded, oldest first, survives restarts) and the sender's retry rules. */
import assert from "node:assert/strict";
import { DiskQueue } from "../../src/master/export/disk_queue.ts";
import { RemoteSender, type RemoteTarget } from "../../src/master/export/remote_sender.ts";

const body = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

Deno.test("disk queue: keeps batches in order across a reopen and removes a torn .tmp", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const q = await DiskQueue.open(dir, 10_000);
    await q.push(body(100, 1), 10);
    await q.push(body(200, 2), 20);
    await Deno.writeFile(`${dir}/0000000000000003-5.batch.tmp`, body(10));
    const again = await DiskQueue.open(dir, 10_000);
    assert.deepEqual([again.batches, again.bytes, again.points], [2, 300, 30]);
    const head = await again.head();
    assert.deepEqual([head!.batch.points, head!.body[0]], [10, 1]);
    await again.remove(head!.batch);
    await again.push(body(50, 3), 5);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["0000000000000002-20.batch", "0000000000000003-5.batch"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disk queue: when full the oldest batches go first (never the one being sent), counted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const q = await DiskQueue.open(dir, 1000);
    for (let i = 1; i <= 4; i++) await q.push(body(300, i), 7);
    assert.deepEqual([q.batches, q.bytes, q.droppedPoints], [3, 900, 7]);
    const sending = await q.head();
    assert.equal(sending!.body[0], 2);
    await q.push(body(300, 5), 7); // batch 2 is in flight: batch 3 goes instead
    assert.equal(q.droppedPoints, 14);
    await q.remove(sending!.batch);
    const next = await q.head();
    assert.equal(next!.body[0], 4);
    assert.equal(q.batches, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

interface Endpoint {
  url: string;
  requests: { body: Uint8Array; headers: Headers }[];
  close(): Promise<void>;
}

/** An HTTP endpoint answering with the statuses in `statuses`, then 204. */
function endpoint(statuses: number[]): Endpoint {
  const requests: Endpoint["requests"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    requests.push({ body: new Uint8Array(await req.arrayBuffer()), headers: req.headers });
    const status = statuses.shift() ?? 204;
    return new Response(status === 204 ? null : "bad things: out of order sample", { status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api/v1/write`,
    requests,
    close: () => server.shutdown(),
  };
}

function target(url: string): RemoteTarget {
  return { kind: "remote-write", url, display: url, headers: { "x-test": "1" } };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("sender: retries 5xx and 429 with backoff, then delivers in order and empties the queue", async () => {
  const dir = await Deno.makeTempDir();
  const server = endpoint([503, 429, 500]);
  const logs: string[] = [];
  const queue = await DiskQueue.open(dir, 1e6);
  const sender = new RemoteSender(target(server.url), queue, {
    log: (l) => logs.push(l),
    backoff: { initialMs: 5, maxMs: 20 },
  });
  try {
    await queue.push(body(10, 1), 3);
    await queue.push(body(10, 2), 4);
    sender.start();
    sender.wake();
    await until(() => queue.batches === 0, "the queue to drain");
    assert.deepEqual(server.requests.map((r) => r.body[0]), [1, 1, 1, 1, 2]);
    assert.equal(server.requests[0].headers.get("x-test"), "1");
    const stats = sender.stats();
    assert.deepEqual([stats.pointsSent, stats.requestsFailed], [7, 3]);
    assert.equal(logs.length, 2, logs.join("\n"));
    assert.match(
      logs[0],
      /write failed \(HTTP 503: bad things.*\); keeping batches on disk and retrying/,
    );
    assert.match(logs[1], /reachable again/);
  } finally {
    await sender.stop();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sender: a 4xx drops the batch with a log line that says why, and goes on", async () => {
  const dir = await Deno.makeTempDir();
  const server = endpoint([400]);
  const logs: string[] = [];
  const queue = await DiskQueue.open(dir, 1e6);
  const sender = new RemoteSender(target(server.url), queue, { log: (l) => logs.push(l) });
  try {
    await queue.push(body(10, 1), 3);
    await queue.push(body(10, 2), 4);
    sender.start();
    sender.wake();
    await until(() => queue.batches === 0, "the queue to drain");
    const stats = sender.stats();
    assert.deepEqual([stats.pointsSent, stats.dropped.rejected], [4, 3]);
    assert.match(
      logs[0],
      /refused a batch for good \(HTTP 400: bad things: out of order sample\); dropped its 3 points/,
    );
  } finally {
    await sender.stop();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sender: nobody listening is a network error, retried until the endpoint is up", async () => {
  const dir = await Deno.makeTempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const queue = await DiskQueue.open(dir, 1e6);
  const logs: string[] = [];
  const sender = new RemoteSender(target(`http://127.0.0.1:${port}/w`), queue, {
    log: (l) => logs.push(l),
    backoff: { initialMs: 5, maxMs: 20 },
  });
  let server: Deno.HttpServer | undefined;
  try {
    await queue.push(body(10), 3);
    sender.start();
    sender.wake();
    await until(() => sender.stats().requestsFailed >= 2, "failed attempts");
    assert.equal(queue.batches, 1, "the batch stays queued");
    server = Deno.serve(
      { hostname: "127.0.0.1", port, onListen: () => {} },
      () => new Response(null, { status: 204 }),
    );
    await until(() => queue.batches === 0, "delivery");
    assert.equal(sender.stats().pointsSent, 3);
    assert.match(logs[0], /write failed \(.+\); keeping batches on disk/);
  } finally {
    await sender.stop();
    await server?.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
