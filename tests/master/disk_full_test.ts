/**
 * A full disk, for real: the master's data directory on a 6 MB tmpfs, filled up while workers
 * stream. The master must stay up, serve reads, say what is wrong on /healthz, acknowledge
 * nothing it did not store, start again on the still-full disk, and resume by itself once space
 * is freed. Needs root for mount(8), as CI and the development machines have.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { freePort, type MasterChild, spawnMasterChild } from "./master_process.ts";
import { makeHello, makeSample, waitFor } from "./test_master.ts";

const TOKEN = "disk-full-test-join-token-0123";

async function run(command: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Fills the file system of `dir` with one file until the kernel says it is full. */
async function fill(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      try {
        await file.write(chunk);
      } catch (error) {
        if (chunk.length === 1) throw error;
        if (!String(error).match(/No space|ENOSPC|os error 28/i)) throw error;
        return await fillRest(file);
      }
    }
  } finally {
    file.close();
  }
}

async function fillRest(file: Deno.FsFile): Promise<void> {
  for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
    try {
      while (true) await file.write(new Uint8Array(size));
    } catch {
      // this size no longer fits; try smaller
    }
  }
}

/**
 * A worker that behaves like the real one (src/worker/connection.ts): hello, and only once the
 * welcome came, send everything after its lastSeq; record acks, reconnect after a close.
 * Produces 20 samples every 50 ms. Sending before the welcome would resume where the previous
 * connection stopped, past samples the master never stored: acks are cumulative and the
 * welcome's lastSeq is the highest seq stored, so that hole would be taken as stored.
 */
function replayingWorker(port: number, machineId: string) {
  const t0 = Date.now() - 3_600_000;
  let produced = 0;
  let acked = -1;
  const closes: number[] = [];
  let stopped = false;
  let socket: WebSocket | undefined;
  let welcomed: WebSocket | undefined;
  let sentUpTo = -1;
  const producer = setInterval(() => (produced += 20), 50);
  const send = () => {
    if (!socket || socket !== welcomed || socket.readyState !== WebSocket.OPEN) return;
    while (sentUpTo < produced - 1) {
      const from = sentUpTo + 1;
      const to = Math.min(produced - 1, from + 99);
      const samples = [];
      for (let seq = from; seq <= to; seq++) {
        samples.push(makeSample(machineId, seq, t0 + seq * 100));
      }
      socket.send(JSON.stringify({ type: "samples", v: 1, samples }));
      sentUpTo = to;
    }
  };
  const sender = setInterval(send, 50);
  const connect = () => {
    if (stopped) return;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/worker`);
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify(makeHello(machineId, { token: TOKEN })));
    ws.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === "welcome") {
        welcomed = ws;
        sentUpTo = frame.lastSeq;
        acked = Math.max(acked, frame.lastSeq);
        send();
      } else if (frame.type === "ack") acked = Math.max(acked, frame.seq);
    };
    ws.onerror = () => {};
    ws.onclose = (e) => {
      closes.push(e.code);
      if (!stopped) setTimeout(connect, 200);
    };
  };
  connect();
  return {
    get acked() {
      return acked;
    },
    get produced() {
      return produced;
    },
    closes,
    /** Stops producing; the already produced samples still go out. */
    pause() {
      clearInterval(producer);
    },
    stop() {
      stopped = true;
      clearInterval(producer);
      clearInterval(sender);
      socket?.close();
    },
  };
}

/** The seq ranges below the highest stored one that are not stored, e.g. [[3680, 4899]]. */
function missingRanges(db: DatabaseSync, id: string): [number, number][] {
  const rows = db.prepare(
    `SELECT seq FROM raw WHERE machine = (SELECT idx FROM machines WHERE id = ?) ORDER BY seq`,
  ).all(id) as { seq: number }[];
  const out: [number, number][] = [];
  let next = 0;
  for (const { seq } of rows) {
    if (seq > next) out.push([next, seq - 1]);
    next = seq + 1;
  }
  return out;
}

async function health(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: response.status, body: await response.json() };
}

async function alive(master: MasterChild): Promise<boolean> {
  const ended = await Promise.race([master.done.then(() => true), Promise.resolve(false)]);
  return !ended;
}

Deno.test("a full disk: the master stays up read-only, acks nothing unstored, restarts, resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_full_" });
  await run("mount", ["-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", dir]);
  const data = `${dir}/data`;
  const port = freePort();
  let master = await spawnMasterChild({ dataDir: data, port, token: TOKEN });
  const workers = ["full-a", "full-b", "full-c"].map((id) => replayingWorker(port, id));
  try {
    await waitFor(() => workers.every((w) => w.acked >= 200), "first acks", 90_000);
    await fill(`${dir}/filler`);
    // Ingest must now fail: flushes or handshakes hit the full disk and nothing is acked.
    await waitFor(
      () => master.output().includes("disk is full"),
      "the master to notice the full disk",
      120_000,
    );
    await waitFor(() => master.output().includes("storage failing"), "the storage state", 30_000);
    const stuck = workers.map((w) => w.acked);
    // SQLite can still fit a commit now and then (a checkpoint frees WAL pages), which clears
    // the state until the next failure: wait for /healthz to say so rather than read it once.
    let h = await health(port);
    const until = Date.now() + 60_000;
    while (h.status !== 503 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      h = await health(port);
    }
    assert.equal(h.status, 503);
    assert.equal(h.body.status, "degraded");
    assert.match(h.body.problems[0], /database or disk is full/);
    const machines = await fetch(`http://127.0.0.1:${port}/api/machines`, {
      headers: { authorization: `Bearer ${(await Deno.readTextFile(`${data}/ui-token`)).trim()}` },
    });
    assert.equal(machines.status, 200, "reads still work");
    assert.equal((await machines.json()).length, 3);
    await new Promise((r) => setTimeout(r, 7000)); // past a retry: reconnects hit the disk again
    assert.ok(await alive(master), `master exited:\n${master.output()}`);
    assert.ok(workers.some((w) => w.closes.includes(1013)), "reconnects are told to retry");

    // kill -9 and start again on the still-full disk, with the same --token.
    master.child.kill("SIGKILL");
    await master.done;
    master = await spawnMasterChild({ dataDir: data, port, token: TOKEN });
    const again = await health(port);
    assert.ok(again.status === 200 || again.status === 503, `healthz ${again.status}`);
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(await alive(master), `restarted master exited:\n${master.output()}`);

    // Free the space: ingest resumes by itself and catches up.
    await Deno.remove(`${dir}/filler`);
    for (const w of workers) w.pause();
    await waitFor(
      () => workers.every((w) => w.acked === w.produced - 1),
      "every produced sample acknowledged",
      120_000,
    );
    const after = await health(port);
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.ok(workers.every((w, i) => w.acked > stuck[i]));
    for (const w of workers) w.stop();
    master.child.kill("SIGTERM");
    assert.equal((await master.done).code, 0, master.output());

    // Nothing acknowledged is missing, nothing is stored twice.
    const db = new DatabaseSync(`${data}/gridmon.db`, { readOnly: true });
    try {
      for (const [i, id] of ["full-a", "full-b", "full-c"].entries()) {
        const row = db.prepare(
          `SELECT count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS top FROM raw
           WHERE machine = (SELECT idx FROM machines WHERE id = ?)`,
        ).get(id) as { n: number; d: number; top: number };
        assert.equal(row.top, workers[i].acked, id);
        if (row.n !== workers[i].acked + 1) {
          assert.fail(
            `${id}: every seq 0..acked stored (${JSON.stringify(row)}), missing: ${
              JSON.stringify(missingRanges(db, id))
            }`,
          );
        }
        assert.equal(row.d, row.n, `${id}: no seq twice`);
      }
    } finally {
      db.close();
    }
  } finally {
    for (const w of workers) w.stop();
    try {
      master.child.kill("SIGKILL");
    } catch { /* ended */ }
    await master.done;
    await run("umount", [dir]);
    await Deno.remove(dir, { recursive: true });
  }
});
