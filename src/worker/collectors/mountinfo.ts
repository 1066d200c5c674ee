/** /proc/self/mountinfo parsing and the choice of mounts worth reporting. */

/** One mountinfo line. */
export interface MountEntry {
  /** "major:minor" of the filesystem: bind mounts of one filesystem share it. */
  device: string;
  /** The directory of the filesystem that is mounted here ("/" unless a bind mount). */
  root: string;
  mountPoint: string;
  fstype: string;
  source: string;
}

/** Undoes the kernel's octal escapes for space, tab, newline and backslash (`\040` ...). */
export function unescapeMountField(text: string): string {
  return text.replace(
    /\\([0-7]{3})/g,
    (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
  );
}

/**
 * Parses mountinfo: `id parent major:minor root mountpoint options [optional...] - fstype
 * source superoptions`. mountinfo, unlike /proc/mounts, carries the device number, which is
 * what identifies bind mounts of the same filesystem.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const f = line.trim().split(" ");
    const separator = f.indexOf("-", 6);
    if (f.length < 10 || separator < 0 || separator + 2 >= f.length || !/^\d+:\d+$/.test(f[2])) {
      throw new RangeError(
        `Cannot parse /proc/self/mountinfo line ${i + 1}: "${line.slice(0, 80)}"`,
      );
    }
    entries.push({
      device: f[2],
      root: unescapeMountField(f[3]),
      mountPoint: unescapeMountField(f[4]),
      fstype: f[separator + 1],
      source: unescapeMountField(f[separator + 2]),
    });
  }
  return entries;
}

/**
 * Filesystem types that hold no user data on a disk of their own: kernel interfaces (proc,
 * sysfs, cgroup ...), memory-backed ones (tmpfs, ramfs, rootfs: their use is already in
 * memory metrics), and read-only images that are always full (squashfs snaps, erofs, iso9660).
 */
export const PSEUDO_FSTYPES: ReadonlySet<string> = new Set([
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devpts",
  "devtmpfs",
  "efivarfs",
  "erofs",
  "fuse.gvfsd-fuse",
  "fuse.lxcfs",
  "fuse.portal",
  "fuse.snapfuse",
  "fusectl",
  "hugetlbfs",
  "iso9660",
  "mqueue",
  "nfsd",
  "nsfs",
  "proc",
  "pstore",
  "ramfs",
  "rootfs",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "squashfs",
  "sysfs",
  "tmpfs",
  "tracefs",
]);

/** Container runtimes' private mounts: one per container, never the host's disks. */
const CONTAINER_MOUNTS =
  /^\/(var\/lib\/(docker|containers|kubelet)|run\/(docker|containerd|netns))(\/|$)/;

/**
 * The mounts to statfs: pseudo filesystems skipped, overlay kept only as "/" (a container's
 * root; elsewhere it is one per container), and a filesystem mounted several times (bind
 * mounts, btrfs subvolumes) reported once, at its mount of "/" if any, else its first.
 */
export function selectMounts(entries: MountEntry[]): MountEntry[] {
  const chosen = new Map<string, MountEntry>();
  for (const entry of entries) {
    if (PSEUDO_FSTYPES.has(entry.fstype)) continue;
    if (entry.fstype === "overlay" && entry.mountPoint !== "/") continue;
    if (CONTAINER_MOUNTS.test(entry.mountPoint)) continue;
    // major 0 are anonymous devices (network and fuse filesystems): one per mount.
    const key = entry.device.startsWith("0:")
      ? `${entry.device} ${entry.mountPoint}`
      : entry.device;
    const seen = chosen.get(key);
    if (seen === undefined || (seen.root !== "/" && entry.root === "/")) chosen.set(key, entry);
  }
  return [...chosen.values()];
}
