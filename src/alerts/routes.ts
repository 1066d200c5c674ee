/**
 * Alert endpoints (behind the master's /api auth):
 *   GET    /api/alerts?from=&to=&machine=   active alerts and history
 *   GET    /api/alerts/rules                rules, notifiers (without their URLs) and silences
 *   POST   /api/alerts/silences             {rule, machines?, duration | until, comment?}
 *   DELETE /api/alerts/silences/:id
 */
import type { Hono } from "hono";
import { z } from "zod";
import { parseDuration } from "../units/parse.ts";
import type { AlertService } from "./service.ts";

const SilenceRequest = z.strictObject({
  rule: z.string().min(1).max(64),
  machines: z.string().min(1).max(256).optional(),
  duration: z.string().max(20).optional(),
  until: z.number().int().optional(),
  comment: z.string().max(500).optional(),
});

function timeParam(value: string | undefined, fallback: number, name: string): number | string {
  if (value === undefined || value === "") return fallback;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : `${name} must be a time in milliseconds`;
}

/** Registers the alert endpoints on the master's app. */
export function registerAlertRoutes(
  app: Hono,
  service: AlertService,
  now: () => number = Date.now,
): void {
  app.get("/api/alerts", (c) => {
    const to = timeParam(c.req.query("to"), now(), "to");
    const from = timeParam(c.req.query("from"), now() - 7 * 86_400_000, "from");
    if (typeof to === "string") return c.json({ error: to }, 400);
    if (typeof from === "string") return c.json({ error: from }, 400);
    const machineId = c.req.query("machine") || undefined;
    const active = service.active().filter((a) => !machineId || a.machineId === machineId);
    return c.json({
      active,
      history: service.history({ from, to, machineId, limit: 500 }),
      failedDeliveries: service.failedDeliveries,
    });
  });

  app.get("/api/alerts/rules", (c) =>
    c.json({
      /** "file" when the master runs with --alerts, else "built-in". */
      source: service.source,
      rules: service.config.rules.map((r) => ({
        name: r.name,
        kind: r.kind,
        metric: r.metric ?? null,
        op: r.op ?? null,
        threshold: r.threshold ?? null,
        process: r.process ?? null,
        condition: r.condition ?? null,
        forMs: r.forMs,
        repeatMs: r.repeatMs,
        machines: r.machinesGlob,
        notify: r.notify,
        severity: r.severity,
      })),
      // URLs of webhooks are secrets: name and type only.
      notifiers: service.config.notifiers.map((n) => ({ name: n.name, type: n.type })),
      silences: {
        file: service.config.silences.map((s) => ({
          rule: s.rule,
          machines: s.machinesGlob,
          from: s.from,
          until: s.until,
          daily: s.daily,
          comment: s.comment ?? null,
        })),
        runtime: service.silences(),
      },
    }));

  app.post("/api/alerts/silences", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "body must be JSON" }, 400);
    }
    const parsed = SilenceRequest.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return c.json({ error: `${issue.path.join(".") || "body"}: ${issue.message}` }, 400);
    }
    const { rule, machines, duration, until, comment } = parsed.data;
    if (rule !== "*" && !service.config.rules.some((r) => r.name === rule)) {
      return c.json({ error: `no rule named "${rule}"` }, 400);
    }
    let end = until;
    if (duration !== undefined) {
      try {
        end = now() + parseDuration(duration);
      } catch (error) {
        return c.json({ error: `duration: ${(error as Error).message}` }, 400);
      }
    }
    if (end === undefined || end <= now()) {
      return c.json({ error: "give a duration or an until in the future" }, 400);
    }
    const silence = service.addSilence({
      rule,
      machines: machines ?? null,
      until: end,
      comment: comment ?? null,
    });
    return c.json(silence, 201);
  });

  app.delete("/api/alerts/silences/:id", (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isInteger(id) || !service.removeSilence(id)) {
      return c.json({ error: "no silence with that id" }, 404);
    }
    return c.body(null, 204);
  });
}
