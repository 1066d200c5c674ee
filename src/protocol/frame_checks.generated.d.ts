/** Types of frame_checks.generated.js (see scripts/gen_frame_checks.ts). */

/** The first problem a check found (ajv's error object). */
export interface FrameCheckError {
  /** JSON pointer of the value: `/samples/0/cpu/usage`. */
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** True when `data` is valid; `errors` then holds the first problem. */
export interface FrameCheck {
  (data: unknown): boolean;
  errors?: FrameCheckError[] | null;
}

/** Valid frames, unknown keys allowed. */
export const checkHello: FrameCheck;
export const checkSamples: FrameCheck;
/** For a frame the check passed: true when it holds no unknown key. */
export function exactHello(data: unknown): boolean;
export function exactSamples(data: unknown): boolean;
/** Valid frames; unknown keys are deleted in place. */
export const stripHello: FrameCheck;
export const stripSamples: FrameCheck;
