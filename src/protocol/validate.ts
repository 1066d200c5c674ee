/**
 * The one validation path both sides use. Pure: text in, a typed frame or a reason out.
 */
import type { z } from "zod";
import { LIMITS } from "./limits.ts";
import {
  type MasterFrame,
  MasterFrameSchema,
  type WorkerFrame,
  WorkerFrameSchema,
} from "./messages.ts";
import {
  checkHello,
  checkSamples,
  exactHello,
  exactSamples,
  type FrameCheck,
  stripHello,
  stripSamples,
} from "./frame_checks.generated.js";
import { PROTOCOL_VERSION } from "./version.ts";

/** Result of validating one frame. */
export type Validated<T> = { ok: true; frame: T } | {
  ok: false;
  reason: string;
  tooLarge?: boolean;
};

const encoder = new TextEncoder();

/** True when `text` takes more than `maxBytes` in UTF-8; encodes only when it could. */
export function exceedsUtf8Bytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= maxBytes) return false; // ... and at most three
  return encoder.encode(text).length > maxBytes;
}

/**
 * Validates a frame a worker sent to the master: the rules of WorkerFrameSchema, checked by code
 * ajv compiled from them (frame_checks.generated.js, `deno task gen`; the ingest hot path).
 * Unknown keys are removed in place, as zod would strip them.
 */
export function parseWorkerFrame(text: string): Validated<WorkerFrame> {
  return parseFrame(text, WorkerFrameSchema, checkWorkerFrame);
}

const SAMPLES = { check: checkSamples, exact: exactSamples, strip: stripSamples };
const HELLO = { check: checkHello, exact: exactHello, strip: stripHello };

/** Checks an object from JSON.parse against WorkerFrameSchema with the generated code. */
export function checkWorkerFrame(data: unknown): Validated<WorkerFrame> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, reason: "frame must be a JSON object" };
  }
  const type = (data as { type?: unknown }).type;
  const checks = type === "samples" ? SAMPLES : type === "hello" ? HELLO : undefined;
  if (!checks) return { ok: false, reason: 'type: must be "hello" or "samples"' };
  if (!checks.check(data)) return { ok: false, reason: describeCheckError(checks.check) };
  if (!checks.exact(data)) checks.strip(data);
  return { ok: true, frame: data as WorkerFrame };
}

/** The generated check's first error as a reason: `samples[0].cpu.usage: must be <= 100`. */
function describeCheckError(check: FrameCheck): string {
  const error = check.errors?.[0];
  if (!error) return "invalid frame";
  const parts = error.instancePath.split("/").slice(1).map((p) =>
    p.replaceAll("~1", "/").replaceAll("~0", "~")
  );
  const missing = error.params.missingProperty;
  if (error.keyword === "required" && typeof missing === "string") parts.push(missing);
  const path = parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "");
  const message = error.keyword === "required" ? "required" : error.message ?? error.keyword;
  return path ? `${path}: ${message}` : message;
}

/** Validates a frame the master sent to a worker. */
export function parseMasterFrame(text: string): Validated<MasterFrame> {
  return parseFrame(text, MasterFrameSchema);
}

function parseFrame<T>(
  text: string,
  schema: z.ZodType<T>,
  check?: (data: unknown) => Validated<T>,
): Validated<T> {
  if (typeof text !== "string") return { ok: false, reason: "binary frames are not accepted" };
  if (exceedsUtf8Bytes(text, LIMITS.maxFrameBytes)) {
    return { ok: false, reason: `frame larger than ${LIMITS.maxFrameBytes} bytes`, tooLarge: true };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: "frame is not valid JSON" };
  }
  if (!check) return validateFrame(data, schema);
  const refused = refuseVersion(data);
  return refused ?? check(data);
}

/** Validates an already-decoded value (in-process paths such as the master's local worker). */
export function validateFrame<T>(data: unknown, schema: z.ZodType<T>): Validated<T> {
  const refused = refuseVersion(data);
  if (refused) return refused;
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, frame: result.data };
  return { ok: false, reason: describeIssue(result.error.issues[0]) };
}

/** The refusal of a non-object or of another protocol version, checked before the schema. */
function refuseVersion(data: unknown): { ok: false; reason: string } | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, reason: "frame must be a JSON object" };
  }
  const v = (data as { v?: unknown }).v;
  if (v !== undefined && v !== PROTOCOL_VERSION) {
    return { ok: false, reason: `unsupported protocol version ${JSON.stringify(v)}` };
  }
  return undefined;
}

/** A zod issue as a reason: `samples[0].cpu.usage: Too big: ...`. */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "invalid frame";
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
    .replace(/^\./, "");
  return path ? `${path}: ${issue.message}` : issue.message;
}
