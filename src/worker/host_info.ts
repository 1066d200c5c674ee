/** What a worker tells the master about its machine in `hello`. */
export interface HostInfo {
  /** Stable id: /etc/machine-id, else one generated once and kept in the worker's state dir. */
  machineId: string;
  hostname: string;
  /** Deno.build.os: linux, darwin, windows ... */
  os: string;
  osName?: string;
  kernel?: string;
  arch: string;
  cores: number;
  memTotal: number;
}
