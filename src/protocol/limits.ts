/** Hard limits that both sides enforce; a frame outside them is refused with a reason. */
export const LIMITS = {
  /** Largest accepted text frame, in bytes (UTF-8). */
  maxFrameBytes: 1024 * 1024,
  /** Most samples in one `samples` frame. */
  maxSamplesPerFrame: 500,
  /** Most frames a worker may send per second (averaged over a short window). */
  maxFramesPerSecond: 50,
  /** Longest string (hostname, device name, mount point ...). */
  maxStringLength: 256,
  /** Longest machine id. */
  maxIdLength: 128,
  /** Longest join token. */
  maxTokenLength: 256,
  /** Most entries in a per-device array (cores, disks, interfaces, filesystems, sensors). */
  maxArrayLength: 1024,
} as const;
