/**
 * The write side of /api/machines (docs/api.md), behind the master's auth and its
 * same-origin/JSON checks for state-changing requests:
 *   DELETE /api/machines/:id                    {confirm, data: "keep"|"delete", force?}
 *   PUT    /api/machines/:id/expected-offline   {until? | duration?, note?}
 *   DELETE /api/machines/:id/expected-offline
 *   GET    /api/removed-machines                removed machines whose data is kept (or going)
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import { parseDuration } from "../units/parse.ts";
import { type MachineAdmin, MachineAdminError } from "./machine_admin.ts";
import type { Store } from "./store/store_types.ts";

const REMOVE_SHAPE = '{"confirm": "<the machine\'s name or id>", "data": "keep" | "delete"}';

const RemoveBody = z.strictObject({
  confirm: z.string({ error: "the machine's name or id, to confirm" }).min(1).max(1024),
  data: z.enum(["keep", "delete"], { error: 'say "keep" or "delete" (the machine\'s data)' }),
  force: z.boolean().optional(),
});

const ExpectedOfflineBody = z.strictObject({
  until: z.number().int().optional(),
  duration: z.string().max(20).optional(),
  note: z.string().max(500).optional(),
});

/** The JSON body checked against `schema`, or a 400 response naming the field at fault. */
async function jsonBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  expected: string,
  emptyIs?: T,
): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const text = await c.req.text();
  if (text.trim() === "" && emptyIs !== undefined) return { ok: true, value: emptyIs };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, response: c.json({ error: `expected a JSON body ${expected}` }, 400) };
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const at = issue.path.join(".") || "body";
  return {
    ok: false,
    response: c.json({ error: `${at}: ${issue.message}; expected ${expected}` }, 400),
  };
}

function refused(c: Context, error: unknown): Response {
  if (!(error instanceof MachineAdminError)) throw error;
  return c.json({ error: error.message }, error.status);
}

/** Registers the machine removal and expected-offline endpoints. */
export function registerMachineRoutes(
  app: Hono,
  deps: { admin: MachineAdmin; store: Store; now: () => number },
): void {
  const { admin, store, now } = deps;

  app.delete("/api/machines/:id", async (c) => {
    const body = await jsonBody(c, RemoveBody, REMOVE_SHAPE);
    if (!body.ok) return body.response;
    const { confirm, data, force } = body.value;
    try {
      const result = await admin.remove(c.req.param("id"), {
        confirm,
        deleteData: data === "delete",
        force,
      });
      return c.json(result);
    } catch (error) {
      return refused(c, error);
    }
  });

  app.put("/api/machines/:id/expected-offline", async (c) => {
    const body = await jsonBody(
      c,
      ExpectedOfflineBody,
      '{"until": ms} or {"duration": "8h"} (or neither: until lifted), "note"?',
      {},
    );
    if (!body.ok) return body.response;
    const { until, duration, note } = body.value;
    if (until !== undefined && duration !== undefined) {
      return c.json({ error: "give until or duration, not both" }, 400);
    }
    let end = until ?? null;
    if (duration !== undefined) {
      try {
        end = now() + parseDuration(duration);
      } catch (error) {
        return c.json({ error: `duration: ${(error as Error).message}` }, 400);
      }
    }
    try {
      const mark = admin.setExpectedOffline(c.req.param("id"), { until: end, note: note ?? null });
      return c.json({ expectedOffline: mark });
    } catch (error) {
      return refused(c, error);
    }
  });

  app.delete("/api/machines/:id/expected-offline", (c) => {
    try {
      admin.clearExpectedOffline(c.req.param("id"));
      return c.json({ expectedOffline: null });
    } catch (error) {
      return refused(c, error);
    }
  });

  app.get("/api/removed-machines", (c) =>
    c.json(
      store.listMachines().filter((row) => row.removedAt !== undefined).map((row) => ({
        id: row.id,
        name: row.name,
        hostname: row.hostname,
        firstSeen: row.firstSeen,
        lastSeen: row.lastSeen,
        removedAt: row.removedAt,
        data: row.purging ? "deleting" : "kept",
      })),
    ));
}
