/** Wire protocol version. Bump when a frame changes incompatibly. */
export const PROTOCOL_VERSION = 1;
