import assert from "node:assert/strict";
import { AlertConfigError, parseAlertConfig } from "../../src/alerts/rules.ts";

const GOOD = `# gridmon alert rules
notifiers:
  ops:
    type: slack
    url: https://hooks.slack.example/services/T000/B000/XXX
  hook:
    type: webhook
    url: http://127.0.0.1:9000/alerts
    headers:
      Authorization: Bearer abc

rules:
  - name: high-cpu
    kind: threshold
    metric: cpu.usage
    op: ">"
    value: 90
    for: 5m
    repeat: 1h
    machines: "web-*"
    notify: [ops]
  - name: disk-full
    kind: threshold
    metric: "fs:*:usedPct"
    op: ">="
    value: 90
  - name: down
    kind: offline
    for: 2m
  - name: odd
    kind: anomaly

silences:
  - rule: high-cpu
    daily: "02:00-03:00"
  - rule: "*"
    machines: "batch-?"
    from: 2026-11-21T22:00:00Z
    until: 2026-11-22T06:00:00Z
`;

function errorOf(text: string): AlertConfigError {
  try {
    parseAlertConfig(text, "alerts.yaml");
  } catch (error) {
    assert.ok(error instanceof AlertConfigError, String(error));
    return error;
  }
  assert.fail("expected the file to be refused");
}

Deno.test("parseAlertConfig() reads notifiers, rules and silences with defaults", () => {
  const config = parseAlertConfig(GOOD);
  assert.deepEqual(config.notifiers.map((n) => [n.name, n.type]), [["ops", "slack"], [
    "hook",
    "webhook",
  ]]);
  const hook = config.notifiers[1];
  assert.equal(hook.type === "webhook" && hook.headers.Authorization, "Bearer abc");
  const [cpu, disk, down, odd] = config.rules;
  assert.equal(cpu.forMs, 300_000);
  assert.equal(cpu.repeatMs, 3_600_000);
  assert.ok(cpu.machines!.test("web-12") && !cpu.machines!.test("db-1"));
  assert.deepEqual(cpu.notify, ["ops"]);
  assert.equal(disk.metric, "fs:*:usedPct");
  assert.equal(disk.forMs, 0);
  assert.equal(down.forMs, 120_000);
  assert.equal(down.severity, "critical");
  assert.equal(odd.kind, "anomaly");
  assert.deepEqual(config.silences[0].daily, { start: 120, end: 180 });
  assert.equal(config.silences[1].from, Date.parse("2026-11-21T22:00:00Z"));
  assert.ok(config.silences[1].machines!.test("batch-7"));
});

Deno.test("parseAlertConfig() accepts an empty file as no rules", () => {
  assert.deepEqual(parseAlertConfig(""), { notifiers: [], rules: [], silences: [] });
});

Deno.test("a YAML syntax error is refused with its line number", () => {
  const error = errorOf("rules:\n  - name: a\n    kind: [threshold\n");
  assert.match(error.message, /^alerts\.yaml:\d+: /);
  assert.ok(error.line >= 3, `line ${error.line}`);
});

Deno.test("a bad value names the line and the field", () => {
  const error = errorOf(GOOD.replace('op: ">="', 'op: "=>"'));
  assert.equal(error.line, 25);
  assert.equal(error.field, "rules[1].op");
});

Deno.test("an unknown metric is refused with its line", () => {
  const error = errorOf(GOOD.replace("metric: cpu.usage", "metric: cpu.usagee"));
  assert.equal(error.line, 15);
  assert.match(error.message, /unknown metric "cpu.usagee"/);
});

Deno.test("an unknown field is refused with its line", () => {
  const error = errorOf(GOOD.replace("    repeat: 1h\n", "    repeat: 1h\n    sustain: 5m\n"));
  assert.equal(error.line, 20);
  assert.match(error.message, /unknown field "sustain"/);
});

Deno.test("a rule naming a notifier that does not exist is refused", () => {
  const error = errorOf(GOOD.replace("notify: [ops]", "notify: [pager]"));
  assert.equal(error.line, 21);
  assert.match(error.message, /no notifier named "pager"/);
});

Deno.test("a threshold rule without value and a bad duration are refused", () => {
  assert.match(
    errorOf(GOOD.replace("    value: 90\n    for: 5m\n", "    for: 5m\n")).message,
    /needs value/,
  );
  const error = errorOf(GOOD.replace("for: 2m", "for: soon"));
  assert.equal(error.line, 29);
  assert.match(error.message, /"soon" is not a duration/);
});

Deno.test("duplicate rule names, silences of unknown rules and bad windows are refused", () => {
  assert.match(
    errorOf(GOOD.replace("name: disk-full", "name: high-cpu")).message,
    /already exists/,
  );
  assert.match(
    errorOf(GOOD.replace("rule: high-cpu\n", "rule: nope\n")).message,
    /no rule named "nope"/,
  );
  assert.match(errorOf(GOOD.replace('"02:00-03:00"', '"3am"')).message, /HH:MM-HH:MM/);
  assert.match(
    errorOf(GOOD.replace("until: 2026-11-22T06:00:00Z", "until: 2026-11-20T06:00:00Z")).message,
    /must be after from/,
  );
});

Deno.test("a notifier with a non-http URL is refused", () => {
  const error = errorOf(
    GOOD.replace("url: http://127.0.0.1:9000/alerts", "url: file:///etc/passwd"),
  );
  assert.equal(error.line, 8);
  assert.equal(error.field, "notifiers.hook.url");
});

Deno.test("the example rules file in examples/ is valid", async () => {
  const text = await Deno.readTextFile(new URL("../../examples/alerts.yaml", import.meta.url));
  const config = parseAlertConfig(text, "examples/alerts.yaml");
  assert.deepEqual(config.rules.map((r) => r.kind), [
    "threshold",
    "threshold",
    "threshold",
    "offline",
    "process",
    "process",
    "anomaly",
  ]);
});
