/** macOS: a launchd daemon per role, running as `nobody`, and the plan to (un)install it. */
import type { ServiceConfig, ServiceRole } from "./service_config.ts";
import type { Plan } from "./plan.ts";
import { LINUX_PATHS } from "./systemd.ts";

/** Where gridmon's files live on macOS. */
export const DARWIN_PATHS = {
  binDir: LINUX_PATHS.binDir,
  binary: LINUX_PATHS.binary,
  label: (role: ServiceRole) => `com.gridmon.${role}`,
  plist: (role: ServiceRole) => `/Library/LaunchDaemons/com.gridmon.${role}.plist`,
  /** Created at install, owned by nobody; it survives uninstall. */
  stateDir: (role: ServiceRole) => `/usr/local/var/gridmon/${role}`,
};

function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

export interface PlistOptions {
  role: ServiceRole;
  binary: string;
  args: string[];
  token?: string;
}

/** The text of com.gridmon.<role>.plist. It holds the token, so it is written mode 0600. */
export function launchdPlist(options: PlistOptions): string {
  const { role } = options;
  const stateDir = DARWIN_PATHS.stateDir(role);
  const dirFlag = role === "worker" ? ["--spool", stateDir] : ["--data", stateDir];
  const program = [options.binary, role, ...options.args, ...dirFlag];
  const env = options.token === undefined ? [] : [
    "  <key>EnvironmentVariables</key>",
    "  <dict>",
    "    <key>GRIDMON_TOKEN</key>",
    `    <string>${xml(options.token)}</string>`,
    "  </dict>",
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    `  <string>${DARWIN_PATHS.label(role)}</string>`,
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...program.map((arg) => `    <string>${xml(arg)}</string>`),
    "  </array>",
    ...env,
    "  <key>UserName</key>",
    "  <string>nobody</string>",
    "  <key>GroupName</key>",
    "  <string>nobody</string>",
    "  <key>WorkingDirectory</key>",
    `  <string>${xml(stateDir)}</string>`,
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <key>KeepAlive</key>",
    "  <dict>",
    "    <key>SuccessfulExit</key>",
    "    <false/>",
    "  </dict>",
    "  <key>ThrottleInterval</key>",
    "  <integer>5</integer>",
    "  <key>StandardOutPath</key>",
    `  <string>${xml(stateDir)}/gridmon.log</string>`,
    "  <key>StandardErrorPath</key>",
    `  <string>${xml(stateDir)}/gridmon.log</string>`,
    "</dict>",
    "</plist>",
  ];
  return `${lines.join("\n")}\n`;
}

/** The plan for `config` on macOS; `binarySource` is the executable to install. */
export function darwinPlan(config: ServiceConfig, binarySource: string): Plan {
  const { role } = config;
  const other: ServiceRole = role === "worker" ? "master" : "worker";
  const plist = DARWIN_PATHS.plist(role);
  const label = DARWIN_PATHS.label(role);
  if (config.action === "uninstall") {
    return {
      steps: [
        { op: "run", command: ["launchctl", "bootout", `system/${label}`], mayFail: true },
        { op: "remove", path: plist },
        { op: "remove", path: DARWIN_PATHS.binary, keepIf: DARWIN_PATHS.plist(other) },
        { op: "rmdir", path: DARWIN_PATHS.binDir },
      ],
      notes: [`Kept the ${role}'s data in ${DARWIN_PATHS.stateDir(role)}.`],
    };
  }
  const stateDir = DARWIN_PATHS.stateDir(role);
  const text = launchdPlist({
    role,
    binary: DARWIN_PATHS.binary,
    args: config.args,
    token: config.token,
  });
  return {
    steps: [
      { op: "copy", from: binarySource, path: DARWIN_PATHS.binary, mode: 0o755 },
      { op: "run", command: ["/bin/mkdir", "-p", "-m", "0700", stateDir] },
      { op: "run", command: ["/usr/sbin/chown", "nobody:nobody", stateDir] },
      { op: "write", path: plist, content: text, mode: 0o600 },
      // Reinstalling: unload the old definition first (fails harmlessly when there is none).
      { op: "run", command: ["launchctl", "bootout", `system/${label}`], mayFail: true },
      { op: "run", command: ["launchctl", "bootstrap", "system", plist] },
    ],
    notes: [
      `gridmon ${role} runs as the launchd daemon ${label} (user nobody).`,
      `Status: sudo launchctl print system/${label}    Logs: ${stateDir}/gridmon.log`,
    ],
  };
}
