/**
 * WebSocket close codes of the worker <-> master protocol. Kept apart from the schemas so the
 * worker can use them without loading zod.
 */
/** Close codes the master uses; reasons are short human-readable text. */
export const CLOSE = {
  normal: 1000,
  /** Refused: wrong, missing or malformed token. Same reason text for every cause. */
  unauthorized: 4001,
  /** A frame did not validate. */
  invalidFrame: 4002,
  /** A frame larger than LIMITS.maxFrameBytes. */
  tooLarge: 4003,
  /** More frames per second than LIMITS.maxFramesPerSecond. */
  rateLimited: 4004,
  /** Another live connection already holds this machine id. */
  duplicateMachine: 4005,
  /** The worker speaks a protocol version the master does not. */
  badVersion: 4006,
  /** No hello within the handshake deadline. */
  handshakeTimeout: 4007,
  /**
   * Another host, connected and streaming, already uses this machine id (a cloned VM image or
   * container): the worker needs an id of its own (`--machine-id`).
   */
  machineIdClash: 4009,
  /** Master shutting down. */
  goingAway: 1001,
  /** The master cannot take this connection now (busy, or its storage is failing): retry later. */
  tryAgainLater: 1013,
} as const;
