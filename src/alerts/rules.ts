/**
 * The alert rules file: YAML, validated as a whole before anything is used, with errors that
 * name the line and the field. A bad file never half-loads.
 */
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { DEVICE_METRICS, parseDeviceKey, SCALAR_METRICS } from "../protocol/metrics.ts";
import { parseDuration } from "../units/parse.ts";
import {
  PROCESS_CONDITIONS,
  type ProcessComparison,
  processComparison,
  type ProcessCondition,
} from "./process_rules.ts";
import { type EmailNotifierConfig, emailNotifierConfig, EmailNotifierSchema } from "./email.ts";

export type AlertKind = "threshold" | "offline" | "anomaly" | "process";
export type Comparison = ">" | ">=" | "<" | "<=";
export type Severity = "info" | "warning" | "critical";
export type NotifierType = "webhook" | "slack" | "discord" | "ntfy" | "email";

/** A notifier that receives an HTTP POST. */
export interface HttpNotifierConfig {
  name: string;
  type: Exclude<NotifierType, "email">;
  url: string;
  /** Extra HTTP headers (webhook only), e.g. Authorization. */
  headers: Record<string, string>;
  /** ntfy topic (when not part of the URL). */
  topic?: string;
}

export type NotifierConfig = HttpNotifierConfig | EmailNotifierConfig;

export interface AlertRule {
  name: string;
  kind: AlertKind;
  /** Metric key (see src/protocol/metrics.ts); the device part may be `*` (`fs:*:usedPct`). */
  metric?: string;
  op?: Comparison;
  threshold?: number;
  /** How long the condition must hold before the alert fires. */
  forMs: number;
  /** Re-notify this often while the alert holds; null for never. */
  repeatMs: number | null;
  /** Glob on machine name or id (`web-*`); null for the whole fleet. */
  machines: RegExp | null;
  /** The glob as written. */
  machinesGlob: string | null;
  /** Notifier names; every notifier when the rule names none. */
  notify: string[];
  severity: Severity;
  /** Send a notice when the condition clears. */
  recovery: boolean;
  /** Process rules: the process name (or `*`) and what is watched (process_rules.ts). */
  process?: string;
  condition?: ProcessCondition;
}

export interface SilenceConfig {
  /** Rule name, or `*` for every rule. */
  rule: string;
  machines: RegExp | null;
  machinesGlob: string | null;
  /** Absolute window (ms), either end optional. */
  from: number | null;
  until: number | null;
  /** Daily window in minutes after midnight UTC, [start, end); may wrap midnight. */
  daily: { start: number; end: number } | null;
  comment?: string;
}

export interface AlertConfig {
  notifiers: NotifierConfig[];
  rules: AlertRule[];
  silences: SilenceConfig[];
}

/** A rules file that cannot be used, with the line and field at fault. */
export class AlertConfigError extends Error {
  override name = "AlertConfigError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}:${line}: ${field ? `${field}: ` : ""}${detail}`);
  }
}

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(String(value));
  } catch {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a duration (examples: 30s, 5m, 1h)`,
    });
    return z.NEVER;
  }
});

const glob = z.string().min(1).max(256);

const HttpNotifierSchema = z.strictObject({
  type: z.enum(["webhook", "slack", "discord", "ntfy"]),
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).optional(),
  topic: z.string().regex(/^[\w-]{1,64}$/).optional(),
});

const NotifierSchema = z.discriminatedUnion("type", [HttpNotifierSchema, EmailNotifierSchema]);

const RuleSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]{1,64}$/, "use letters, digits, '.', '_' or '-' (at most 64)"),
  kind: z.enum(["threshold", "offline", "anomaly", "process"]),
  metric: z.string().max(300).optional(),
  process: z.string().min(1).max(64).optional(),
  condition: z.enum(PROCESS_CONDITIONS).optional(),
  op: z.enum([">", ">=", "<", "<="]).optional(),
  value: z.number().optional(),
  for: duration.optional(),
  repeat: duration.optional(),
  machines: glob.optional(),
  notify: z.array(z.string()).optional(),
  severity: z.enum(["info", "warning", "critical"]).optional(),
  recovery: z.boolean().optional(),
});

const SilenceSchema = z.strictObject({
  rule: z.string().min(1),
  machines: glob.optional(),
  from: z.union([z.string(), z.date()]).optional(),
  until: z.union([z.string(), z.date()]).optional(),
  daily: z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/, 'use "HH:MM-HH:MM" (UTC)').optional(),
  comment: z.string().max(500).optional(),
});

const FileSchema = z.strictObject({
  notifiers: z.record(z.string().regex(/^[\w.-]{1,64}$/), NotifierSchema).optional(),
  rules: z.array(RuleSchema).optional(),
  silences: z.array(SilenceSchema).optional(),
});

/** Turns `web-*` / `db-?` into an anchored, case-sensitive regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll(
    "?",
    ".",
  );
  return new RegExp(`^${body}$`);
}

/** True when `key` names a metric gridmon collects (the device part may be `*`). */
export function isKnownMetric(key: string): boolean {
  const device = parseDeviceKey(key);
  if (!device) return SCALAR_METRICS.some((m) => m.key === key);
  return DEVICE_METRICS[device.family]?.some((m) => m.key === device.field) ?? false;
}

/**
 * Parses and validates a whole rules file. Throws AlertConfigError naming line and field. `env`
 * gives the variables a notifier names (an e-mail password_env).
 */
export function parseAlertConfig(
  text: string,
  file = "alerts",
  env: (name: string) => string | undefined = () => undefined,
): AlertConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = error.linePos?.[0].line ?? 1;
    throw new AlertConfigError(
      file,
      line,
      "",
      error.message.split("\n")[0].replace(/ at line.*$/, ""),
    );
  }
  const lineOf = (path: (string | number)[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
      const pair = n > 0 ? findKeyLine(doc, path.slice(0, n), lineCounter) : undefined;
      if (pair) return pair;
    }
    return 1;
  };
  const fail = (path: (string | number)[], detail: string): never => {
    throw new AlertConfigError(file, lineOf(path), formatPath(path), detail);
  };

  const raw = doc.toJS() ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    fail([], "expected a mapping with notifiers, rules and silences");
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    const unknownKey = issue.code === "unrecognized_keys" ? issue.keys[0] : undefined;
    if (unknownKey) fail([...path, unknownKey], `unknown field "${unknownKey}"`);
    fail(path, issue.message);
  }
  const data = parsed.data!;

  const notifiers: NotifierConfig[] = Object.entries(data.notifiers ?? {}).map(([name, n]) =>
    n.type === "email"
      ? emailNotifierConfig(
        name,
        n,
        env,
        (field, detail) => fail(["notifiers", name, field], detail),
      )
      : { name, type: n.type, url: n.url, headers: n.headers ?? {}, topic: n.topic }
  );
  const notifierNames = new Set(notifiers.map((n) => n.name));

  const seen = new Set<string>();
  const rules: AlertRule[] = (data.rules ?? []).map((r, i) => {
    const at = (field: string) => ["rules", i, field];
    if (seen.has(r.name)) fail(at("name"), `a rule named "${r.name}" already exists`);
    seen.add(r.name);
    let compared: ProcessComparison | undefined;
    if (r.kind === "threshold") {
      if (r.metric === undefined) fail(["rules", i], "a threshold rule needs metric, op and value");
      if (!isKnownMetric(r.metric!)) fail(at("metric"), `unknown metric "${r.metric}"`);
      if (r.op === undefined) fail(["rules", i], "a threshold rule needs op (>, >=, < or <=)");
      if (r.value === undefined) fail(["rules", i], "a threshold rule needs value");
    } else if (r.kind === "process") {
      if (r.metric !== undefined) fail(at("metric"), "a process rule names process, not metric");
      compared = processComparison(r, (field, detail) => fail(at(field), detail));
    } else {
      for (const field of ["metric", "op", "value"] as const) {
        if (r[field] !== undefined) fail(at(field), `only threshold rules take ${field}`);
      }
    }
    if (r.kind !== "process") {
      for (const field of ["process", "condition"] as const) {
        if (r[field] !== undefined) fail(at(field), `only process rules take ${field}`);
      }
    }
    for (const name of r.notify ?? []) {
      if (!notifierNames.has(name)) {
        fail(at("notify"), `no notifier named "${name}" (define it under notifiers)`);
      }
    }
    return {
      name: r.name,
      kind: r.kind,
      metric: compared?.metric ?? r.metric,
      op: compared?.op ?? r.op,
      threshold: compared?.threshold ?? r.value,
      ...(compared ? { process: compared.process, condition: compared.condition } : {}),
      forMs: r.for ?? (r.kind === "offline" ? 60_000 : 0),
      repeatMs: r.repeat ?? null,
      machines: r.machines === undefined ? null : globToRegExp(r.machines),
      machinesGlob: r.machines ?? null,
      notify: r.notify ?? [],
      severity: r.severity ?? (r.kind === "offline" ? "critical" : "warning"),
      recovery: r.recovery ?? true,
    };
  });

  const silences: SilenceConfig[] = (data.silences ?? []).map((s, i) => {
    const at = (field: string) => ["silences", i, field];
    if (s.rule !== "*" && !seen.has(s.rule)) fail(at("rule"), `no rule named "${s.rule}"`);
    const from = s.from === undefined
      ? null
      : parseTime(s.from, () => fail(at("from"), "not a date and time (ISO 8601)"));
    const until = s.until === undefined
      ? null
      : parseTime(s.until, () => fail(at("until"), "not a date and time (ISO 8601)"));
    if (from !== null && until !== null && until <= from) fail(at("until"), "must be after from");
    let daily: SilenceConfig["daily"] = null;
    if (s.daily !== undefined) {
      const [start, end] = s.daily.split("-").map((hm) => {
        const [h, m] = hm.split(":").map(Number);
        return h * 60 + m;
      });
      if (start >= 24 * 60 || end > 24 * 60 || start === end) {
        fail(at("daily"), "not a valid HH:MM-HH:MM window");
      }
      daily = { start, end };
    }
    if (from === null && until === null && daily === null) {
      fail(["silences", i], "a silence needs from/until or daily");
    }
    return {
      rule: s.rule,
      machines: s.machines === undefined ? null : globToRegExp(s.machines),
      machinesGlob: s.machines ?? null,
      from,
      until,
      daily,
      comment: s.comment,
    };
  });

  return { notifiers, rules, silences };
}

/** Reads and parses a rules file; a missing or unreadable file is an AlertConfigError too. */
export async function loadAlertConfig(path: string): Promise<AlertConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new AlertConfigError(path, 0, "", `cannot read the file: ${(error as Error).message}`);
  }
  return parseAlertConfig(text, path, (name) => Deno.env.get(name));
}

function parseTime(value: string | Date, onError: () => never): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : onError();
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** Line of a key in a mapping (for fields that are missing or unknown in an object). */
function findKeyLine(
  doc: ReturnType<typeof parseDocument>,
  path: (string | number)[],
  lineCounter: LineCounter,
): number | undefined {
  const parent = doc.getIn(path.slice(0, -1), true) as
    | { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] }
    | undefined;
  const key = path.at(-1);
  const pair = parent?.items?.find((item) => item.key?.value === key);
  return pair?.key?.range ? lineCounter.linePos(pair.key.range[0]).line : undefined;
}
