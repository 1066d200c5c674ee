/**
 * "Nothing unstored is ever acknowledged", step by step and deterministically: the real hub,
 * real worker connections and the real SQLite store, with writes made to fail on demand by
 * triggers that raise SQLite's "database or disk is full" inside the store's own transactions.
 * Sources behave like the real worker: samples only after the welcome, from its lastSeq on. After
 * every step, each welcome lastSeq and ack a source was given must cover only stored samples.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createNullDetection } from "../../src/master/detection_port.ts";
import { FleetState } from "../../src/master/fleet_state.ts";
import { IngestHub, STORAGE_RETRY_MS } from "../../src/master/ingest_hub.ts";
import { createIngestStats } from "../../src/master/ingest_stats.ts";
import { LAST_SEEN_SAVE_EVERY_MS } from "../../src/master/store/ingest.ts";
import { openStore } from "../../src/master/store/sqlite_store.ts";
import {
  acceptWorkerConnection,
  type WorkerConnection,
} from "../../src/master/worker_connection.ts";
import { CLOSE } from "../../src/protocol/messages.ts";
import { JOIN_TOKEN, makeHello, makeSample } from "./test_master.ts";
import { openTempStore } from "./real_store.ts";

const FAULTS = `
  CREATE TABLE test_faults (what TEXT PRIMARY KEY, from_seq INTEGER);
  CREATE TRIGGER test_fault_raw BEFORE INSERT ON raw
    WHEN EXISTS (SELECT 1 FROM test_faults WHERE what = 'raw' AND NEW.seq >= from_seq)
    BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
  CREATE TRIGGER test_fault_machines BEFORE UPDATE OF last_seen ON machines
    WHEN EXISTS (SELECT 1 FROM test_faults WHERE what = 'machines')
    BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`;

const T0 = Date.UTC(2026, 0, 1);
const RETENTION = { raw: 1e12, minute: 1e12, hour: 1e12 };

async function setup() {
  const temp = await openTempStore();
  const control = new DatabaseSync(`${temp.dir}/gridmon.db`);
  control.exec(FAULTS);
  let clock = T0 + 3_600_000;
  let closed = false;
  const stats = createIngestStats();
  const fleet = new FleetState();
  const logs: string[] = [];
  const hub = new IngestHub({
    store: temp.store,
    detection: createNullDetection(),
    fleet,
    stats,
    log: (line) => logs.push(line),
    now: () => clock,
  });
  /** A worker: hello, then samples from the welcome's lastSeq on; remembers every claim. */
  const source = (id: string) => {
    let connection: WorkerConnection | undefined;
    let welcomed = false;
    const s = {
      id,
      sentUpTo: -1,
      /** The highest seq the master said it holds (welcome) or acknowledged. */
      claimed: -1,
      closes: [] as number[],
      get open() {
        return connection !== undefined;
      },
      connect() {
        welcomed = false;
        const own = acceptWorkerConnection({
          send(text) {
            const frame = JSON.parse(text);
            if (frame.type === "welcome") {
              welcomed = true;
              s.sentUpTo = frame.lastSeq;
              s.claimed = Math.max(s.claimed, frame.lastSeq);
            } else if (frame.type === "ack") s.claimed = Math.max(s.claimed, frame.seq);
          },
          close(code) {
            s.closes.push(code);
            if (connection === own) connection = undefined;
          },
        }, { hub, stats, joinToken: JOIN_TOKEN, log: () => {}, peer: id, now: () => clock });
        connection = own;
        own.onMessage(JSON.stringify(makeHello(id)));
      },
      /** Sends the next `n` samples in one frame (with the spool's drop count, if given). */
      send(n: number, dropped?: number) {
        assert.ok(connection && welcomed, `${id} is not connected`);
        const samples = [];
        for (let i = 1; i <= n; i++) {
          samples.push(makeSample(id, s.sentUpTo + i, T0 + (s.sentUpTo + i) * 1000));
        }
        connection.onMessage(JSON.stringify({ type: "samples", v: 1, dropped, samples }));
        s.sentUpTo += n;
      },
      /** The worker's side drops the connection. */
      drop() {
        connection?.onClose();
        connection = undefined;
      },
    };
    return s;
  };
  const stored = (id: string) =>
    (temp.store.getMachine(id)
      ? control.prepare(
        `SELECT seq FROM raw WHERE machine = (SELECT idx FROM machines WHERE id = ?) ORDER BY seq`,
      ).all(id) as { seq: number }[]
      : []).map((r) => r.seq);
  return {
    hub,
    fleet,
    logs,
    source,
    stored,
    fail(what: "raw" | "machines", fromSeq = 0) {
      control.prepare("INSERT OR REPLACE INTO test_faults VALUES (?, ?)").run(what, fromSeq);
    },
    heal() {
      control.exec("DELETE FROM test_faults");
    },
    advance(ms: number) {
      clock += ms;
    },
    /** Every seq up to what each source was told the master holds is stored. */
    assertPromise(...sources: { id: string; claimed: number }[]) {
      for (const s of sources) {
        const seqs = stored(s.id).filter((q) => q <= s.claimed);
        assert.equal(seqs.length, s.claimed + 1, `${s.id}: told ${s.claimed}, stored ${seqs}`);
      }
    },
    /** Closes the store and opens the file again (a restart): the last seq it then knows. */
    lastSeqAfterRestart(id: string): number | undefined {
      temp.store.close();
      const again = openStore({ path: `${temp.dir}/gridmon.db`, retention: RETENTION });
      try {
        return again.getMachine(id)?.lastSeq;
      } finally {
        again.close();
        closed = true;
      }
    },
    async dispose() {
      control.close();
      if (closed) await Deno.remove(temp.dir, { recursive: true });
      else await temp.dispose();
    },
  };
}

Deno.test("a flush failing mid-batch acks nothing, and the next welcome names only committed rows", async () => {
  const t = await setup();
  try {
    const a = t.source("a");
    const b = t.source("b");
    a.connect();
    b.connect();
    a.send(100);
    t.hub.flush();
    assert.equal(a.claimed, 99);
    // The batch holds b's rows and a's; a's row 150 fails after 50 of them were inserted.
    b.send(30);
    a.send(100);
    t.fail("raw", 150);
    t.hub.flush();
    assert.deepEqual([a.closes, b.closes], [[1011], [1011]]);
    t.assertPromise(a, b);
    // Refused while the store fails, until one source is let in to try.
    a.connect();
    assert.deepEqual(a.closes, [1011, CLOSE.tryAgainLater]);
    t.heal();
    t.advance(STORAGE_RETRY_MS);
    a.connect();
    b.connect();
    assert.deepEqual([a.sentUpTo, b.sentUpTo], [99, -1], "welcomes after the rollback");
    a.send(100);
    b.send(30);
    t.hub.flush();
    t.assertPromise(a, b);
    assert.deepEqual([a.claimed, b.claimed], [199, 29]);
    assert.equal(t.lastSeqAfterRestart("a"), 199);
  } finally {
    await t.dispose();
  }
});

Deno.test("rows of a closed connection still queued when its successor is welcomed, then a failed flush", async () => {
  const t = await setup();
  try {
    const a = t.source("a");
    a.connect();
    a.send(50);
    t.hub.flush();
    a.send(50); // 50..99 queued, not yet stored
    a.drop();
    a.connect(); // welcomed with 49: the queued rows are not stored yet
    assert.equal(a.sentUpTo, 49);
    a.send(20); // 50..69 again
    t.fail("raw", 60);
    t.hub.flush();
    t.assertPromise(a);
    assert.deepEqual(a.closes, [1011]);
    t.heal();
    t.advance(STORAGE_RETRY_MS);
    a.connect();
    assert.equal(a.sentUpTo, 49);
    a.send(50);
    a.drop();
    a.connect(); // the old rows are queued; the new connection replays them and more
    a.send(80);
    t.hub.flush();
    t.assertPromise(a);
    assert.equal(a.claimed, 129);
    assert.deepEqual(t.stored("a"), Array.from({ length: 130 }, (_, i) => i));
  } finally {
    await t.dispose();
  }
});

Deno.test("machine rows failing after the samples committed: nothing acked, the welcome names them", async () => {
  const t = await setup();
  try {
    const a = t.source("a");
    a.connect();
    a.send(10);
    t.hub.flush();
    t.advance(LAST_SEEN_SAVE_EVERY_MS); // the next flush also saves last-seen times
    a.send(10);
    t.fail("machines");
    t.hub.flush();
    assert.equal(a.claimed, 9, "no ack: the flush failed, though its samples committed");
    assert.deepEqual(a.closes, [1011]);
    t.advance(STORAGE_RETRY_MS);
    a.connect(); // the hello's machine-row update fails too: refused, retry pushed back
    assert.deepEqual(a.closes, [1011, CLOSE.tryAgainLater]);
    t.heal();
    a.connect();
    assert.deepEqual(a.closes, [1011, CLOSE.tryAgainLater, CLOSE.tryAgainLater]);
    t.advance(STORAGE_RETRY_MS);
    a.connect();
    assert.equal(a.sentUpTo, 19, "the committed rows count as stored");
    t.assertPromise(a);
    a.send(5);
    t.hub.flush();
    t.assertPromise(a);
    assert.equal(a.claimed, 24);
  } finally {
    await t.dispose();
  }
});

Deno.test("samples sent before the welcome, from where the last connection stopped, are acked over the hole: why sources wait", async () => {
  // The sequence the disk-full test's own worker once produced on a loaded machine (its send
  // timer fired between the socket opening and the welcome), which left 1,220 acknowledged seqs
  // unstored. The master cannot tell it from a worker whose spool dropped those samples: acks
  // and the welcome's lastSeq are high-water marks of what a connection sent.
  const t = await setup();
  try {
    const a = t.source("a");
    a.connect();
    a.send(100);
    t.hub.flush();
    a.send(100); // 100..199
    t.fail("raw", 100);
    t.hub.flush(); // fails: a is closed, 100..199 are not stored
    t.heal();
    t.advance(STORAGE_RETRY_MS);
    const early = a.sentUpTo; // 199: where the failed connection stopped
    a.connect(); // welcomed with 99 ...
    a.sentUpTo = early; // ... but the worker sent 200..219 before it read the welcome
    a.send(20);
    t.hub.flush();
    assert.equal(a.claimed, 219);
    assert.deepEqual(t.stored("a").filter((q) => q >= 100 && q < 200), []);
    // The master cannot refuse this (a worker whose full spool dropped 100..199 sends the same),
    // but the loss is no longer silent: counted on the machine and logged.
    const loss = t.fleet.get("a")!.loss;
    assert.equal(loss.skipped, 100);
    assert.deepEqual([loss.lastGap?.from, loss.lastGap?.to], [100, 199]);
    assert.ok(t.logs.some((l) => l.includes("samples 100..199 never arrived (100 lost;")));
    assert.throws(() => t.assertPromise(a), /told 219/);
    assert.equal(t.lastSeqAfterRestart("a"), 219, "the next welcome covers the hole too");
  } finally {
    await t.dispose();
  }
});

Deno.test("seq gaps are counted once their batch commits, not when it fails; spool drops as reported", async () => {
  const t = await setup();
  try {
    const a = t.source("a");
    a.connect();
    a.send(10, 0);
    t.hub.flush();
    assert.deepEqual(t.fleet.get("a")!.loss, { skipped: 0, lastGap: null, spoolDropped: 0 });
    a.sentUpTo += 5; // the spool dropped 10..14
    a.send(5, 5);
    t.fail("raw", 15);
    t.hub.flush(); // fails: the gap is not counted, the worker will replay the same frames
    assert.equal(t.fleet.get("a")!.loss.skipped, 0);
    t.heal();
    t.advance(STORAGE_RETRY_MS);
    a.connect();
    a.sentUpTo += 5;
    a.send(5, 5);
    a.sentUpTo += 2; // and later 20..21, in the same connection
    a.send(1, 7);
    t.hub.flush();
    const loss = t.fleet.get("a")!.loss;
    assert.deepEqual(loss, {
      skipped: 7,
      lastGap: { from: 20, to: 21, at: T0 + 3_600_000 + STORAGE_RETRY_MS },
      spoolDropped: 7,
    });
    assert.equal(
      t.logs.filter((l) => l.includes("never arrived")).length,
      1,
      "one line a connection",
    );
    assert.equal(a.claimed, 22);
    assert.deepEqual(t.stored("a"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19, 22]);
  } finally {
    await t.dispose();
  }
});
