/** Linux: a hardened systemd unit per role, its token file, and the plan to (un)install them. */
import type { ServiceConfig, ServiceRole } from "./service_config.ts";
import type { Plan } from "./plan.ts";

/** Where gridmon's files live on Linux (and macOS for the binary). */
export const LINUX_PATHS = {
  binDir: "/usr/local/lib/gridmon",
  binary: "/usr/local/lib/gridmon/gridmon",
  configDir: "/etc/gridmon",
  envFile: (role: ServiceRole) => `/etc/gridmon/${role}.env`,
  unitName: (role: ServiceRole) => `gridmon-${role}.service`,
  unitFile: (role: ServiceRole) => `/etc/systemd/system/gridmon-${role}.service`,
  /** systemd creates it (StateDirectory=) for the dynamic user; it survives uninstall. */
  stateDir: (role: ServiceRole) => `/var/lib/gridmon-${role}`,
};

/** Quotes one ExecStart word for systemd: `%` and `$` escaped, spaces and quotes quoted. */
export function systemdWord(word: string): string {
  const escaped = word.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

export interface UnitOptions {
  role: ServiceRole;
  /** Absolute path of the gridmon executable. */
  binary: string;
  /** The mode's flags (no secrets). */
  args: string[];
  /** With a token, the unit reads GRIDMON_TOKEN from this file. */
  envFile?: string;
  /** Master port: below 1024 the unit grants CAP_NET_BIND_SERVICE and nothing else. */
  port?: number;
}

/** The text of gridmon-<role>.service. */
export function systemdUnit(options: UnitOptions): string {
  const { role } = options;
  const stateDir = LINUX_PATHS.stateDir(role);
  const dirFlag = role === "worker" ? ["--spool", stateDir] : ["--data", stateDir];
  const command = [options.binary, role, ...options.args, ...dirFlag].map(systemdWord).join(" ");
  const privileged = options.port !== undefined && options.port < 1024;
  const capabilities = privileged ? "CAP_NET_BIND_SERVICE" : "";
  const description = role === "worker"
    ? "gridmon worker: streams this machine's metrics to the gridmon master"
    : "gridmon master: fleet monitoring hub, anomaly detection and web UI";
  const lines = [
    "# Written by `gridmon " + role + " install`; removed by `gridmon " + role + " uninstall`.",
    "[Unit]",
    `Description=${description}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${command}`,
    ...(options.envFile ? [`EnvironmentFile=${options.envFile}`] : []),
    "Restart=on-failure",
    "RestartSec=5s",
    ...(role === "master" ? ["LimitNOFILE=65536"] : []),
    "# An unprivileged user made up for the service; it owns only its state directory.",
    "DynamicUser=yes",
    `StateDirectory=gridmon-${role}`,
    "StateDirectoryMode=0700",
    "UMask=0077",
    "# The whole file system is read-only but for the state directory; /home is only readable",
    "# so that file system usage can still be measured there.",
    "ProtectSystem=strict",
    "ProtectHome=read-only",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "PrivateMounts=yes",
    "NoNewPrivileges=yes",
    `CapabilityBoundingSet=${capabilities}`,
    `AmbientCapabilities=${capabilities}`,
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RemoveIPC=yes",
    "# AF_NETLINK lists network interfaces.",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged",
    "SystemCallErrorNumber=EPERM",
    "# Not MemoryDenyWriteExecute=yes: V8's JIT compiler needs writable executable memory.",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ];
  return `${lines.join("\n")}\n`;
}

/** The EnvironmentFile holding the token (written mode 0600, read by systemd as root). */
export function systemdEnvFile(token: string): string {
  return `# gridmon join token; readable by root only.\nGRIDMON_TOKEN=${token}\n`;
}

const NO_SYSTEMD = {
  path: "/run/systemd/system",
  missing: "systemd is not running on this machine (no /run/systemd/system)",
};

/** The plan for `config` on Linux; `binarySource` is the executable to install. */
export function linuxPlan(config: ServiceConfig, binarySource: string): Plan {
  const { role } = config;
  const other: ServiceRole = role === "worker" ? "master" : "worker";
  const unit = LINUX_PATHS.unitName(role);
  const systemctl = (...args: string[]) => ["systemctl", ...args];
  if (config.action === "uninstall") {
    return {
      steps: [
        {
          op: "run",
          command: systemctl("disable", "--now", unit),
          mayFail: true,
          needs: NO_SYSTEMD,
        },
        { op: "remove", path: LINUX_PATHS.unitFile(role) },
        { op: "remove", path: LINUX_PATHS.envFile(role) },
        { op: "rmdir", path: LINUX_PATHS.configDir },
        { op: "remove", path: LINUX_PATHS.binary, keepIf: LINUX_PATHS.unitFile(other) },
        { op: "rmdir", path: LINUX_PATHS.binDir },
        { op: "run", command: systemctl("daemon-reload"), mayFail: true, needs: NO_SYSTEMD },
      ],
      notes: [
        `Kept the ${role}'s data in /var/lib/private/gridmon-${role} (remove it with: sudo rm -rf /var/lib/private/gridmon-${role}).`,
      ],
    };
  }
  const envFile = config.token === undefined ? undefined : LINUX_PATHS.envFile(role);
  const text = systemdUnit({
    role,
    binary: LINUX_PATHS.binary,
    args: config.args,
    envFile,
    port: config.port,
  });
  return {
    steps: [
      { op: "copy", from: binarySource, path: LINUX_PATHS.binary, mode: 0o755 },
      ...(envFile === undefined ? [] : [
        { op: "mkdir" as const, path: LINUX_PATHS.configDir, mode: 0o755 },
        {
          op: "write" as const,
          path: envFile,
          content: systemdEnvFile(config.token!),
          mode: 0o600,
        },
      ]),
      { op: "write", path: LINUX_PATHS.unitFile(role), content: text, mode: 0o644 },
      { op: "run", command: systemctl("daemon-reload"), needs: NO_SYSTEMD },
      { op: "run", command: systemctl("enable", unit), needs: NO_SYSTEMD },
      // restart, not start: a reinstall (or an upgrade) takes effect at once.
      { op: "run", command: systemctl("restart", unit), needs: NO_SYSTEMD },
    ],
    notes: [
      `gridmon ${role} runs as the systemd service ${unit}.`,
      `Status: systemctl status ${unit}    Logs: journalctl -u ${unit} -f`,
    ],
  };
}
