import assert from "node:assert/strict";
import { openStore } from "../../../src/master/store/sqlite_store.ts";
import { machineInfo, RETENTION, rowOf, simpleSample, tempStore } from "./store_fixtures.ts";

const T0 = Date.UTC(2026, 0, 4);
const XSS = "<img src=x onerror=alert(1)>";
const SQL = "'; DROP TABLE x; --";
const ODD = `a"b\\c:d/e\u0000f ü 🙂`;

Deno.test("machine-supplied strings are stored and returned verbatim, also after reopening", async () => {
  const { store, dir, path } = await tempStore(() => T0);
  const id = `${SQL}${XSS}`;
  const info = { ...machineInfo(id, XSS), name: SQL, kernel: ODD };
  const sample = simpleSample(id, T0, 0, 1);
  sample.hostname = XSS;
  sample.disks![0].name = SQL;
  sample.net![0].iface = XSS;
  sample.filesystems![0].mount = ODD;
  sample.filesystems![0].fstype = SQL;
  sample.temps = [{ sensor: XSS, label: SQL, celsius: 40 }];
  const check = (s: typeof store) => {
    const row = s.getMachine(id)!;
    assert.equal(row.name, SQL);
    assert.equal(row.hostname, XSS);
    assert.equal(row.kernel, ODD);
    assert.deepEqual(s.latestSamples().get(id)!.sample, sample);
    const series = s.querySeries(id, { from: T0, to: T0 + 1000, points: 1 });
    assert.ok(`disk:${SQL}:readBps` in series.avg);
    assert.ok(`net:${XSS}:rxBps` in series.avg);
    assert.ok(`fs:${ODD}:usedPct` in series.avg);
    assert.ok(`temp:${XSS}/${SQL}:celsius` in series.avg);
    const filtered = s.querySeries(id, {
      from: T0,
      to: T0 + 1000,
      points: 1,
      metrics: [`disk:${SQL}:`],
    });
    assert.equal(Object.keys(filtered.avg).length, 5);
    const recent = s.recentSamples(id, 1)[0];
    assert.equal(recent.disks![0].name, SQL);
    assert.equal(recent.filesystems![0].mount, ODD);
    assert.equal(recent.hostname, XSS);
    const [event] = s.listAnomalies({ from: 0, to: T0 * 2, machineId: id });
    assert.equal(event.reason, `disk:${SQL}:readBps`);
    assert.equal(event.causes[0].metric, XSS);
  };
  try {
    store.registerMachine(info, T0);
    store.write([rowOf(sample)]);
    store.openAnomaly({
      machineId: id,
      start: T0,
      end: null,
      peakScore: 0.9,
      reason: `disk:${SQL}:readBps`,
      causes: [{ metric: XSS, value: 1, normalLow: 0, normalHigh: 1, contribution: 1 }],
    });
    check(store);
    store.close();
    const again = openStore({ path, retention: RETENTION, now: () => T0 });
    try {
      check(again);
    } finally {
      again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
