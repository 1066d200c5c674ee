/**
 * Removing machines and marking them expected offline, through the HTTP API of a real master
 * (SQLite store and alert history in one file, as `gridmon master` runs them) with protocol
 * workers: data kept or deleted as asked, the offline alert ended, the machine gone from the
 * API, /metrics and open UIs, back when its worker connects; refusals are clear and lose nothing.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseAlertConfig } from "../../src/alerts/rules.ts";
import { AlertService } from "../../src/alerts/service.ts";
import { machineTables } from "../../src/master/store/machine_removal.ts";
import { openStore, type SqliteStore } from "../../src/master/store/sqlite_store.ts";
import {
  connectWorker,
  makeSample,
  startTestMaster,
  type TestMaster,
  TestSocket,
  UI_TOKEN,
  waitFor,
} from "./test_master.ts";

const RETENTION = { raw: 48 * 3_600_000, minute: 30 * 86_400_000, hour: 400 * 86_400_000 };
const BEARER = { Authorization: `Bearer ${UI_TOKEN}` };
const JSON_TYPE = { "Content-Type": "application/json" };
const OFFLINE_RULE = parseAlertConfig(`
rules:
  - name: machine-offline
    kind: offline
    for: 1s
`);

interface Fleet {
  t: TestMaster<SqliteStore>;
  path: string;
  alerts: AlertService;
  live: TestSocket;
  /** Stops the master and closes the databases (the files stay). */
  stop(): Promise<void>;
}

/** A master on `dir/gridmon.db` with the offline rule at 1 s, and a live-feed client. */
async function startFleet(dir: string): Promise<Fleet> {
  const path = `${dir}/gridmon.db`;
  const store = openStore({ path, retention: RETENTION });
  const alertDb = new DatabaseSync(path);
  alertDb.exec("PRAGMA busy_timeout = 5000");
  const alerts = new AlertService({
    config: OFFLINE_RULE,
    db: alertDb,
    log: () => {},
    tickMs: 100,
    lastSeen: (id) => store.getMachine(id)?.lastSeen,
  });
  const t = await startTestMaster({ store, alerts });
  const live = new TestSocket(`${t.ws}/ws/live`, { Origin: t.http, ...BEARER });
  await live.opened;
  return {
    t,
    path,
    alerts,
    live,
    async stop() {
      await live.close();
      await t.master.close();
      alertDb.close();
      store.close();
    },
  };
}

async function withFleet(fn: (f: Fleet) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_removal_" });
  const fleet = await startFleet(dir);
  try {
    await fn(fleet);
  } finally {
    await fleet.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function call(
  url: string,
  method = "GET",
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const init: RequestInit = { method, headers: { ...BEARER, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = { ...JSON_TYPE, ...init.headers };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const remove = (f: Fleet, id: string, body?: unknown, headers?: Record<string, string>) =>
  call(`${f.t.http}/api/machines/${id}`, "DELETE", body, headers);

/** A worker streaming `count` samples (1 s apart, ending now); returns it connected. */
async function stream(f: Fleet, id: string, count: number, firstSeq = 0) {
  const { socket, welcome } = await connectWorker(f.t.ws, id);
  const now = Date.now();
  const samples = Array.from(
    { length: count },
    (_, i) => makeSample(id, firstSeq + i, now - (count - 1 - i) * 1000),
  );
  socket.send({ type: "samples", v: 1, samples });
  assert.equal((await socket.next()).seq, firstSeq + count - 1);
  return { socket, welcome };
}

async function machineIds(f: Fleet): Promise<string[]> {
  return (await call(`${f.t.http}/api/machines`)).body.map((m: { id: string }) => m.id);
}

async function alertsOf(f: Fleet, id: string) {
  return (await call(`${f.t.http}/api/alerts?machine=${id}`)).body as {
    active: { rule: string }[];
    history: { rule: string; resolvedAt: number | null; closeReason: string | null }[];
  };
}

/** Disconnects the worker and waits for the machine's offline alert to fire. */
async function goOffline(f: Fleet, socket: TestSocket, id: string): Promise<void> {
  await socket.close();
  await waitFor(
    () => f.alerts.active().some((a) => a.machineId === id && a.rule === "machine-offline"),
    `${id}'s offline alert`,
  );
}

/** The next live `machine` frame that `pick` accepts (earlier ones are skipped). */
async function nextMachine(f: Fleet, pick: (machine: Json) => boolean): Promise<Json> {
  for (;;) {
    const { machine } = await f.live.nextOfType<Json>("machine");
    if (pick(machine)) return machine;
  }
}

/** How many of the last two minutes' seconds have a CPU value in the machine's stored series. */
async function storedSeconds(f: Fleet, id: string): Promise<number> {
  const to = Date.now();
  const query = `from=${to - 120_000}&to=${to}&points=200&metrics=cpu.usage`;
  const series = await call(`${f.t.http}/api/machines/${id}/series?${query}`);
  assert.equal(series.status, 200, JSON.stringify(series.body));
  return series.body.avg["cpu.usage"].filter((v: number | null) => v !== null).length;
}

async function metricsText(f: Fleet): Promise<string> {
  const response = await fetch(`${f.t.http}/metrics`, { headers: BEARER });
  return await response.text();
}

Deno.test("removing a machine with its data kept: gone from the fleet, alert ended, back when it connects", async () => {
  await withFleet(async (f) => {
    const { socket } = await stream(f, "kept-1", 30);
    const other = await stream(f, "other", 5);
    await goOffline(f, socket, "kept-1");
    assert.match(await metricsText(f), /machine="kept-1"/);

    const removed = await remove(f, "kept-1", { confirm: "host-kept-1", data: "keep" });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body, {
      id: "kept-1",
      name: "host-kept-1",
      data: "kept",
      disconnected: false,
    });
    assert.deepEqual(await f.live.nextOfType("removed"), { type: "removed", machineId: "kept-1" });
    assert.deepEqual(await machineIds(f), ["other"]);
    assert.equal((await call(`${f.t.http}/api/machines/kept-1`)).status, 404);
    const metrics = await metricsText(f);
    assert.doesNotMatch(metrics, /machine="kept-1"/);
    assert.match(metrics, /machine="other"/);
    assert.equal((await call(`${f.t.http}/healthz`)).body.machines, 1);
    const alerts = await alertsOf(f, "kept-1");
    assert.deepEqual(alerts.active, []);
    assert.equal(alerts.history.length, 1);
    assert.equal(alerts.history[0].closeReason, "machine removed");
    assert.notEqual(alerts.history[0].resolvedAt, null);
    // Its history is kept, and listed.
    const listed = (await call(`${f.t.http}/api/removed-machines`)).body;
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, "kept-1");
    assert.equal(listed[0].data, "kept");
    assert.equal(await storedSeconds(f, "kept-1"), 30);
    // Removing it again with its data kept is refused; the record says why.
    const again = await remove(f, "kept-1", { confirm: "kept-1", data: "keep" });
    assert.equal(again.status, 409);
    assert.match(again.body.error, /already removed/);

    // Its worker connects again: the machine is back, with its history, and the log says so.
    const firstSeen = listed[0].firstSeen;
    const back = await stream(f, "kept-1", 3, 30);
    assert.equal(back.welcome.lastSeq, 29, "the kept data counts: no replay of it");
    await nextMachine(f, (m) => m.id === "kept-1" && m.online);
    assert.deepEqual((await machineIds(f)).sort(), ["kept-1", "other"]);
    assert.equal((await call(`${f.t.http}/api/machines/kept-1`)).body.firstSeen, firstSeen);
    assert.ok(f.t.logs.some((l) => /"host-kept-1" \(kept-1\), removed .* reactivated/.test(l)));
    assert.deepEqual((await call(`${f.t.http}/api/removed-machines`)).body, []);
    await back.socket.close();
    await other.socket.close();
  });
});

Deno.test("removing a machine with its data deleted leaves nothing of it, and no other machine's data", async () => {
  await withFleet(async (f) => {
    const { socket } = await stream(f, "gone-1", 30);
    const other = await stream(f, "other", 20);
    await goOffline(f, socket, "gone-1");
    const idx = (() => {
      const db = new DatabaseSync(f.path, { readOnly: true });
      try {
        return (db.prepare("SELECT idx FROM machines WHERE id = 'gone-1'").get() as {
          idx: number;
        }).idx;
      } finally {
        db.close();
      }
    })();

    const removed = await remove(f, "gone-1", { confirm: "gone-1", data: "delete" });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.data, "deleted");
    assert.equal(removed.body.deleted.raw, 30);
    assert.equal(removed.body.deleted.alert_history, 1, "its offline alert, ended as removed");
    assert.deepEqual(await f.live.nextOfType("removed"), { type: "removed", machineId: "gone-1" });
    assert.ok(f.t.logs.some((l) => /"host-gone-1" \(gone-1\): data deleted \(\d+ rows/.test(l)));

    const db = new DatabaseSync(f.path, { readOnly: true });
    try {
      const tables = machineTables(db);
      assert.ok(tables.length >= 6);
      for (const { name } of tables) {
        const n = (db.prepare(`SELECT count(*) AS n FROM ${name} WHERE machine = ?`).get(idx) as {
          n: number;
        }).n;
        assert.equal(n, 0, `${name} still has rows of the machine`);
      }
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      assert.equal(count("SELECT count(*) AS n FROM machines WHERE id = 'gone-1'"), 0);
      assert.equal(count("SELECT count(*) AS n FROM alert_history WHERE machine_id = 'gone-1'"), 0);
      assert.equal(
        count("SELECT count(*) AS n FROM raw WHERE machine <> " + idx),
        20,
        "the other machine's rows are all there",
      );
    } finally {
      db.close();
    }
    assert.deepEqual(await machineIds(f), ["other"]);
    assert.equal((await call(`${f.t.http}/api/machines/gone-1/series`)).status, 404);
    assert.deepEqual((await call(`${f.t.http}/api/removed-machines`)).body, []);
    assert.deepEqual((await alertsOf(f, "gone-1")).history, []);
    assert.doesNotMatch(await metricsText(f), /machine="gone-1"/);

    // It may join again: as a new machine, which sends what it has from the start.
    const back = await connectWorker(f.t.ws, "gone-1");
    assert.equal(back.welcome.type, "welcome");
    assert.equal(back.welcome.lastSeq, -1);
    await waitFor(() => f.t.master.fleet.get("gone-1")?.online === true, "gone-1 back online");
    await back.socket.close();
    await other.socket.close();
  });
});

Deno.test("a removal without a clear confirmation, or from another site, is refused and loses nothing", async () => {
  await withFleet(async (f) => {
    const { socket } = await stream(f, "web-1", 5);
    await socket.close();
    await waitFor(() => f.t.master.fleet.get("web-1")?.online === false, "web-1 offline");
    const cases: [unknown, number, RegExp][] = [
      [undefined, 400, /expected a JSON body \{"confirm"/],
      ["not json", 400, /expected a JSON body/],
      [{}, 400, /^confirm: the machine's name or id, to confirm/],
      [{ confirm: "web-1" }, 400, /^data: say "keep" or "delete"/],
      [{ confirm: "web-1", data: "maybe" }, 400, /^data: say "keep" or "delete"/],
      [{ confirm: "web-1", data: "keep", extra: 1 }, 400, /extra/],
      [{ confirm: "web-1", data: "keep", force: "yes" }, 400, /^force: /],
      [
        { confirm: "web-2", data: "delete" },
        400,
        /"web-2" is neither this machine's name \("host-web-1"\) nor its id/,
      ],
    ];
    for (const [body, status, error] of cases) {
      const response = await remove(f, "web-1", body);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.match(response.body.error, error, JSON.stringify(body));
    }
    const url = `${f.t.http}/api/machines/web-1`;
    const body = JSON.stringify({ confirm: "web-1", data: "delete" });
    const refusals: [Record<string, string>, number][] = [
      [{ ...BEARER, "Content-Type": "text/plain" }, 415],
      [{ ...BEARER, ...JSON_TYPE, Origin: "http://evil.example" }, 403],
      [{ ...BEARER, ...JSON_TYPE, "Sec-Fetch-Site": "cross-site" }, 403],
      [JSON_TYPE, 401],
    ];
    for (const [headers, status] of refusals) {
      const response = await fetch(url, { method: "DELETE", headers, body });
      assert.equal(response.status, status, JSON.stringify(headers));
      assert.ok((await response.json()).error);
    }
    const unknown = await remove(f, "nope", { confirm: "nope", data: "keep" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, "no machine with that id");
    // Nothing was removed or deleted.
    assert.deepEqual(await machineIds(f), ["web-1"]);
    assert.equal(await storedSeconds(f, "web-1"), 5);
  });
});

Deno.test("a connected machine is only removed with force, which disconnects its worker", async () => {
  await withFleet(async (f) => {
    const { socket } = await stream(f, "busy-1", 5);
    const refused = await remove(f, "busy-1", { confirm: "busy-1", data: "keep" });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error, /its worker is connected right now .* "force": true/);
    assert.deepEqual(await machineIds(f), ["busy-1"]);

    const forced = await remove(f, "busy-1", { confirm: "busy-1", data: "delete", force: true });
    assert.equal(forced.status, 200, JSON.stringify(forced.body));
    assert.equal(forced.body.disconnected, true);
    assert.equal(forced.body.deleted.raw, 5);
    assert.deepEqual(await socket.closed, { code: 1000, reason: "machine removed on the master" });
    assert.deepEqual(await machineIds(f), []);
    // Its worker reconnects (as a real one does after a close): the machine is back.
    const back = await stream(f, "busy-1", 2);
    assert.equal(back.welcome.lastSeq, -1);
    assert.deepEqual(await machineIds(f), ["busy-1"]);
    await back.socket.close();
  });
});

Deno.test("expected offline ends the offline alert, keeps it from firing, shows in the API, and lapses", async () => {
  await withFleet(async (f) => {
    const { socket } = await stream(f, "lab-1", 5);
    await goOffline(f, socket, "lab-1");
    const url = `${f.t.http}/api/machines/lab-1/expected-offline`;

    const before = Date.now();
    const set = await call(url, "PUT", { duration: "1h", note: "moving to the new rack" });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const mark = set.body.expectedOffline;
    assert.equal(mark.note, "moving to the new rack");
    assert.ok(mark.since >= before && mark.until >= before + 3_600_000, JSON.stringify(mark));
    const frame = await nextMachine(f, (m) => m.id === "lab-1" && m.expectedOffline !== null);
    assert.deepEqual(frame.expectedOffline, mark);
    assert.deepEqual((await call(`${f.t.http}/api/machines/lab-1`)).body.expectedOffline, mark);
    await waitFor(() => f.alerts.active().length === 0, "the offline alert to end");
    const history = (await alertsOf(f, "lab-1")).history;
    assert.equal(history[0].closeReason, "expected offline");
    // Well past the rule's 1 s, no offline alert.
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual((await alertsOf(f, "lab-1")).active, []);

    // Bad requests change nothing.
    const bad: [unknown, number, RegExp][] = [
      [{ until: Date.now() - 1000 }, 400, /until: must be in the future/],
      [{ until: Date.now() + 1000, duration: "1h" }, 400, /not both/],
      [{ duration: "soon" }, 400, /duration/],
      [{ note: "x".repeat(501) }, 400, /^note: /],
      [{ until: "tomorrow" }, 400, /^until: /],
      ["{", 400, /expected a JSON body/],
    ];
    for (const [body, status, error] of bad) {
      const response = await call(url, "PUT", body);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.match(response.body.error, error, JSON.stringify(body));
    }
    const plain = await fetch(url, {
      method: "PUT",
      headers: { ...BEARER, "Content-Type": "text/plain" },
      body: "{}",
    });
    assert.equal(plain.status, 415);
    await plain.body?.cancel();
    const cross = await call(url, "PUT", {}, { Origin: "http://evil.example" });
    assert.equal(cross.status, 403);
    assert.equal(
      (await call(`${f.t.http}/api/machines/nope/expected-offline`, "PUT", {})).status,
      404,
    );
    assert.deepEqual((await call(`${f.t.http}/api/machines/lab-1`)).body.expectedOffline, mark);

    // Lifted: the offline alert fires again, counted from now.
    const lifted = await call(url, "DELETE");
    assert.deepEqual(lifted, { status: 200, body: { expectedOffline: null } });
    assert.equal((await call(`${f.t.http}/api/machines/lab-1`)).body.expectedOffline, null);
    await waitFor(() => f.alerts.active().length === 1, "the offline alert again");

    // A mark with an end lapses by itself; an empty PUT marks until lifted.
    assert.equal((await call(url, "PUT", { duration: "1s" })).status, 200);
    await waitFor(() => f.alerts.active().length === 0, "the alert ended by the mark");
    await waitFor(
      () => f.t.master.fleet.get("lab-1")?.row.expectedOffline === undefined,
      "the mark to lapse",
    );
    assert.ok(f.t.logs.some((l) => /\(lab-1\): expected-offline mark ended/.test(l)));
    await waitFor(() => f.alerts.active().length === 1, "the offline alert after the mark");
    const open = await fetch(url, { method: "PUT", headers: BEARER });
    assert.equal(open.status, 200);
    assert.deepEqual((await open.json()).expectedOffline.until, null);
  });
});

Deno.test("marks, removals and an unfinished deletion outlive a restart of the master", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_removal_" });
  try {
    let f = await startFleet(dir);
    const marked = await stream(f, "marked", 3);
    const kept = await stream(f, "kept", 3);
    const cut = await stream(f, "cut", 40);
    for (const w of [marked, kept, cut]) await w.socket.close();
    await waitFor(() => f.t.master.fleet.all().every((m) => !m.online), "all offline");
    const url = `${f.t.http}/api/machines/marked/expected-offline`;
    assert.equal((await call(url, "PUT", { note: "spare" })).status, 200);
    assert.equal((await remove(f, "kept", { confirm: "kept", data: "keep" })).status, 200);
    // A deletion the master did not finish before it stopped (as if killed mid-way).
    f.t.store.removeMachine("cut", Date.now(), { deleteData: true });
    f.t.store.purgeMachine("cut", 10);
    await f.stop();

    f = await startFleet(dir);
    try {
      await waitFor(() => f.t.store.getMachine("cut") === undefined, "the deletion to finish");
      assert.ok(f.t.logs.some((l) => /\(cut\) was removed with its data: finishing/.test(l)));
      assert.deepEqual(await machineIds(f), ["marked"]);
      const machine = (await call(`${f.t.http}/api/machines/marked`)).body;
      assert.equal(machine.expectedOffline.note, "spare");
      // Offline since the restart, past the rule's 1 s: still no offline alert for it.
      await new Promise((r) => setTimeout(r, 2000));
      assert.deepEqual(f.alerts.active(), []);
      assert.equal((await call(`${f.t.http}/api/removed-machines`)).body[0].id, "kept");
    } finally {
      await f.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
