import assert from "node:assert/strict";
import { z } from "zod";
import { CHARTS, FAMILIES, NOT_SERIES, SCORE_METRIC } from "../../src/protocol/catalogue.ts";
import { COMPILED, flattenSample, metricOf } from "../../src/protocol/metrics.ts";
import { SampleSchema } from "../../src/protocol/sample.ts";

/** Every number the schema accepts, as a path (`net[].rxBps`, `cpu.cores[]`). */
function numberPaths(schema: z.ZodType, prefix: string, out: string[]): string[] {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      numberPaths(child, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (s instanceof z.ZodArray) {
    numberPaths(s.element as z.ZodType, `${prefix}[]`, out);
  } else if (s.safeParse(1).success) {
    out.push(prefix);
  }
  return out;
}

/** The sample paths the catalogue reads, in the notation of numberPaths. */
function cataloguePaths(): string[] {
  return FAMILIES.flatMap((family) =>
    family.metrics.map((m) => {
      const base = family.path ? `${family.path}.` : "";
      if (!family.device) return `${base}${m.field}`;
      const list = `${base}${family.device.list}[]`;
      return m.field ? `${list}.${m.field}` : list;
    })
  );
}

Deno.test("every number of the sample schema is a catalogue metric or listed as not a series", () => {
  const schema = numberPaths(SampleSchema, "", []).filter((p) => !["ts", "seq"].includes(p));
  const catalogue = cataloguePaths();
  assert.deepEqual(
    schema.filter((p) => !catalogue.includes(p) && !NOT_SERIES.includes(p)),
    [],
    "sample numbers neither in the catalogue nor in NOT_SERIES",
  );
  assert.deepEqual(
    catalogue.filter((p) => !schema.includes(p)),
    [],
    "catalogue paths not in the schema",
  );
  assert.deepEqual(
    NOT_SERIES.filter((p) => !schema.includes(p)),
    [],
    "NOT_SERIES paths not in the schema",
  );
  assert.deepEqual(
    NOT_SERIES.filter((p) => catalogue.includes(p)),
    [],
    "both a metric and not a series",
  );
});

Deno.test("catalogue keys and Prometheus names are unique; counters end in _total, gauges do not", () => {
  const keys = COMPILED.flatMap((f) => f.metrics.map((m) => `${f.entry.name}|${m.key}`));
  assert.equal(new Set(keys).size, keys.length);
  const names = COMPILED.flatMap((f) => f.metrics.map((m) => m.prom)).concat(SCORE_METRIC.prom);
  assert.equal(new Set(names).size, names.length);
  for (const f of COMPILED) {
    for (const m of f.metrics) {
      assert.match(m.prom, /^gridmon_[a-z0-9_]+$/, m.prom);
      assert.equal(m.prom.endsWith("_total"), m.kind === "counter", m.prom);
      if (m.kind === "counter") {
        assert.ok(f.entry.device, `${m.prom}: counters are per device (counter_totals.ts)`);
        assert.ok(["bytes_per_second", "per_second"].includes(m.unit), `${m.prom} is a rate`);
      }
    }
  }
});

Deno.test("catalogue charts: every placement names a chart, every chart has a metric", () => {
  const ids = new Set(CHARTS.map((c) => c.id));
  const placed = new Set<string>();
  for (const m of [...FAMILIES.flatMap((f) => f.metrics), SCORE_METRIC]) {
    if (!m.plot) continue;
    assert.ok(ids.has(m.plot.chart), `${m.label}: no chart ${m.plot.chart}`);
    placed.add(m.plot.chart);
    const chart = CHARTS.find((c) => c.id === m.plot!.chart)!;
    assert.equal(chart.unit, m.unit, `${m.label} drawn on ${chart.id} in another unit`);
  }
  assert.deepEqual([...ids].filter((id) => !placed.has(id)), []);
});

Deno.test("flattenSample() keys resolve back to their catalogue metric", () => {
  const sample = {
    ts: 1,
    seq: 1,
    machineId: "m",
    hostname: "h",
    cpu: { usage: 1, user: 1, system: 1, cores: [3, null, 4] },
    pressure: { io: { some10: 1, some60: 2, some300: 3, full10: 4 } },
    net: [{ iface: "eth0:1", rxBps: 1, txBps: 2, rxPps: 3, txPps: 4, rxErrors: 5, txErrors: 6 }],
    temps: [{ sensor: "coretemp", label: "Core 0", celsius: 40 }],
  };
  const flat = flattenSample(sample);
  assert.deepEqual([...flat.keys()], [
    "cpu.usage",
    "cpu.user",
    "cpu.system",
    "core:0:usage",
    "core:2:usage",
    "pressure.io.some10",
    "pressure.io.full10",
    "net:eth0:1:rxBps",
    "net:eth0:1:txBps",
    "net:eth0:1:rxPps",
    "net:eth0:1:txPps",
    "net:eth0:1:rxErrors",
    "net:eth0:1:txErrors",
    "temp:coretemp/Core 0:celsius",
  ]);
  for (const key of flat.keys()) assert.ok(metricOf(key), key);
  assert.equal(metricOf("net:*:rxDrops")?.label, "Receive drops");
  assert.equal(metricOf("net:eth0:nope"), undefined);
});
