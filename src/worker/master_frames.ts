/**
 * Validation of the two frames a master sends (`welcome`, `ack`), by hand: the same rules as
 * MasterFrameSchema in src/protocol/messages.ts (a test holds them in agreement), without loading
 * zod, which would cost the worker about 15 MB of resident memory for two tiny frames.
 */
import { LIMITS } from "../protocol/limits.ts";
import type { MasterFrame } from "../protocol/messages.ts";
import type { Validated } from "../protocol/validate.ts";
import { PROTOCOL_VERSION } from "../protocol/version.ts";

const encoder = new TextEncoder();

function tooLarge(text: string): boolean {
  return text.length * 3 > LIMITS.maxFrameBytes &&
    encoder.encode(text).length > LIMITS.maxFrameBytes;
}

function isString(value: unknown, min: number, max: number): value is string {
  return typeof value === "string" && value.length >= min && value.length <= max;
}

function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= -1;
}

/** Validates a frame from the master. Pure. */
export function parseMasterFrameLite(text: string): Validated<MasterFrame> {
  if (typeof text !== "string") return { ok: false, reason: "binary frames are not accepted" };
  if (tooLarge(text)) {
    return { ok: false, reason: `frame larger than ${LIMITS.maxFrameBytes} bytes`, tooLarge: true };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: "frame is not valid JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, reason: "frame must be a JSON object" };
  }
  const frame = data as Record<string, unknown>;
  if (frame.v !== PROTOCOL_VERSION) {
    return { ok: false, reason: `unsupported protocol version ${JSON.stringify(frame.v)}` };
  }
  if (frame.type === "ack") {
    if (!isSeq(frame.seq)) return { ok: false, reason: "seq: expected an integer >= -1" };
    return { ok: true, frame: { type: "ack", v: PROTOCOL_VERSION, seq: frame.seq } };
  }
  if (frame.type === "welcome") {
    if (!isString(frame.machineId, 1, LIMITS.maxIdLength)) {
      return { ok: false, reason: `machineId: expected 1 to ${LIMITS.maxIdLength} characters` };
    }
    if (!isString(frame.name, 0, LIMITS.maxStringLength)) {
      return { ok: false, reason: `name: expected at most ${LIMITS.maxStringLength} characters` };
    }
    if (!isSeq(frame.lastSeq)) return { ok: false, reason: "lastSeq: expected an integer >= -1" };
    return {
      ok: true,
      frame: {
        type: "welcome",
        v: PROTOCOL_VERSION,
        machineId: frame.machineId,
        name: frame.name,
        lastSeq: frame.lastSeq,
      },
    };
  }
  return { ok: false, reason: `type: unknown frame type ${JSON.stringify(frame.type)}` };
}
