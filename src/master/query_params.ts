/** Parsing and checking of API query parameters; every problem is a BadRequestError (HTTP 400). */

/** A request the client must fix; the message is sent back as `{"error": message}`. */
export class BadRequestError extends Error {
  override name = "BadRequestError";
}

type Query = Record<string, string | undefined>;

/** Parses an optional whole number parameter within [min, max]. */
export function intParam(
  query: Query,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = query[name];
  if (text === undefined || text === "") return fallback;
  if (!/^-?\d{1,16}$/.test(text)) {
    throw new BadRequestError(`${name}: "${text.slice(0, 40)}" is not a whole number`);
  }
  const value = Number(text);
  if (value < min || value > max) {
    throw new BadRequestError(`${name}: ${value} is out of range (${min} to ${max})`);
  }
  return value;
}

/** Latest time accepted in from/to (year 3000), to keep arithmetic exact. */
const MAX_TIME = 32_503_680_000_000;

/**
 * `from` and `to` in ms since the epoch; `to` defaults to now and `from` to `to - defaultSpanMs`.
 * `from` must be before `to`.
 */
export function timeRange(
  query: Query,
  now: number,
  defaultSpanMs: number,
): { from: number; to: number } {
  const to = intParam(query, "to", now, 0, MAX_TIME);
  const from = intParam(query, "from", Math.max(0, to - defaultSpanMs), 0, MAX_TIME);
  if (from >= to) throw new BadRequestError(`from (${from}) must be before to (${to})`);
  return { from, to };
}

/** Most entries in a `metrics` list. */
const MAX_METRICS = 1000;

/** The optional comma list of metric keys or prefixes ending in ':'. */
export function metricsParam(query: Query): string[] | undefined {
  const text = query.metrics;
  if (text === undefined || text === "") return undefined;
  const keys = text.split(",").map((key) => key.trim());
  if (keys.length > MAX_METRICS) {
    throw new BadRequestError(`metrics: more than ${MAX_METRICS} keys`);
  }
  const bad = keys.find((key) => key === "" || key.length > 600);
  if (bad !== undefined) {
    throw new BadRequestError("metrics: every key must be 1 to 600 characters, comma-separated");
  }
  return keys;
}

/** An optional machine id parameter. */
export function machineParam(query: Query): string | undefined {
  const id = query.machine;
  if (id === undefined || id === "") return undefined;
  if (id.length > 128) throw new BadRequestError("machine: longer than 128 characters");
  return id;
}

/** Most machine ids one request may name. */
const MAX_IDS = 500;

/**
 * Machine ids given as repeated `id` parameters (ids may hold commas), each up to 128
 * characters; undefined when there are none.
 */
export function idsParam(ids: string[] | undefined): string[] | undefined {
  if (!ids || ids.length === 0) return undefined;
  if (ids.length > MAX_IDS) throw new BadRequestError(`id: more than ${MAX_IDS} machines`);
  if (ids.some((id) => id === "" || id.length > 128)) {
    throw new BadRequestError("id: every id must be 1 to 128 characters");
  }
  return ids;
}
