/**
 * Frames of the worker <-> master protocol. Every frame is a JSON text frame with a
 * `type` and the protocol version `v`.
 *
 * worker -> master: `hello` first (with the join token), then, only once the `welcome` came,
 * `samples` batches in seq order from the welcome's `lastSeq` on.
 * master -> worker: `welcome` (after a good hello), then `ack` after rows are committed.
 *
 * `lastSeq` and `ack` are high-water marks of what was sent: a seq a connection skipped counts
 * as dropped by the worker. So samples sent before the welcome, resuming where an earlier
 * connection stopped, would have their unstored predecessors taken as stored.
 */
import { z } from "zod";
import { LIMITS } from "./limits.ts";
import { SampleSchema } from "./sample.ts";

const text = z.string().max(LIMITS.maxStringLength);
const version = z.int().min(1);

export const HelloSchema = z.object({
  type: z.literal("hello"),
  v: version,
  token: z.string().max(LIMITS.maxTokenLength),
  machineId: z.string().min(1).max(LIMITS.maxIdLength),
  hostname: text,
  /** Display name chosen with `worker --name`; the hostname is used when absent. */
  name: text.optional(),
  /** `linux`, `darwin`, `windows` ... (Deno.build.os). */
  os: text,
  /** Distribution or product name, such as `Debian GNU/Linux 12 (bookworm)`. */
  osName: text.optional(),
  kernel: text.optional(),
  arch: text,
  cores: z.int().min(0).max(1_000_000),
  memTotal: z.number().min(0),
  agentVersion: text,
  intervalMs: z.int().min(1),
});

export const SamplesSchema = z.object({
  type: z.literal("samples"),
  v: version,
  samples: z.array(SampleSchema).min(1).max(LIMITS.maxSamplesPerFrame),
  /** Samples the worker's spool had to drop since it started (its cap was reached). */
  dropped: z.int().min(0).optional(),
});

export const WorkerFrameSchema = z.discriminatedUnion("type", [HelloSchema, SamplesSchema]);

export const WelcomeSchema = z.object({
  type: z.literal("welcome"),
  v: version,
  machineId: z.string().min(1).max(LIMITS.maxIdLength),
  /** The display name the master uses for this machine. */
  name: text,
  /** Highest sequence number already committed for this machine, -1 for none. */
  lastSeq: z.int().min(-1),
});

export const AckSchema = z.object({
  type: z.literal("ack"),
  v: version,
  /** Every sample this connection sent with seq <= this value is committed. */
  seq: z.int().min(-1),
});

export const MasterFrameSchema = z.discriminatedUnion("type", [WelcomeSchema, AckSchema]);

export type Hello = z.infer<typeof HelloSchema>;
export type SamplesFrame = z.infer<typeof SamplesSchema>;
export type WorkerFrame = z.infer<typeof WorkerFrameSchema>;
export type Welcome = z.infer<typeof WelcomeSchema>;
export type Ack = z.infer<typeof AckSchema>;
export type MasterFrame = z.infer<typeof MasterFrameSchema>;

export { CLOSE } from "./close_codes.ts";
