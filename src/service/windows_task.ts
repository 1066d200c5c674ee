/**
 * Windows: a scheduled task per role that starts at boot as LOCAL SERVICE and restarts on
 * failure, and the plan to (un)install it. The token sits in a file readable by LOCAL SERVICE and
 * administrators only; cmd.exe reads it into GRIDMON_TOKEN, so it is on no command line.
 */
import type { ServiceConfig, ServiceRole } from "./service_config.ts";
import type { Plan } from "./plan.ts";

const LOCAL_SERVICE = "S-1-5-19";
const SYSTEM = "S-1-5-18";
const ADMINISTRATORS = "S-1-5-32-544";

/** Where gridmon's files live on Windows. */
export const WINDOWS_PATHS = {
  binDir: "C:\\Program Files\\gridmon",
  binary: "C:\\Program Files\\gridmon\\gridmon.exe",
  dataDir: "C:\\ProgramData\\gridmon",
  taskName: (role: ServiceRole) => `gridmon-${role}`,
  taskXml: (role: ServiceRole) => `C:\\ProgramData\\gridmon\\gridmon-${role}.xml`,
  tokenFile: (role: ServiceRole) => `C:\\ProgramData\\gridmon\\${role}.token`,
  /** Created by gridmon itself at first start; it survives uninstall. */
  stateDir: (role: ServiceRole) => `C:\\ProgramData\\gridmon\\${role}`,
};

function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function cmdQuote(word: string): string {
  return /^[A-Za-z0-9_@+=:,./\\-]+$/.test(word) ? word : `"${word}"`;
}

export interface TaskOptions {
  role: ServiceRole;
  binary: string;
  args: string[];
  /** With a token file, cmd.exe reads GRIDMON_TOKEN from it before starting gridmon. */
  tokenFile?: string;
}

/** The command cmd.exe runs: `/d /s /c "..."`, the token read from its file when there is one. */
export function taskArguments(options: TaskOptions): string {
  const { role } = options;
  const dirFlag = role === "worker" ? "--spool" : "--data";
  const gridmon = [options.binary, role, ...options.args, dirFlag, WINDOWS_PATHS.stateDir(role)]
    .map(cmdQuote).join(" ");
  // `&`, not `&&`: some cmd.exe versions leave a failure code after a successful `set /p`.
  const readToken = options.tokenFile === undefined
    ? ""
    : `set /p GRIDMON_TOKEN=<${cmdQuote(options.tokenFile)} & `;
  return `/d /s /c "${readToken}${gridmon}"`;
}

/** The Task Scheduler XML of gridmon-<role> (written as UTF-16LE, as schtasks expects). */
export function scheduledTaskXml(options: TaskOptions): string {
  const description = `gridmon ${options.role} (installed by gridmon ${options.role} install)`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<Task version="1.4" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    "  <RegistrationInfo>",
    `    <Description>${xml(description)}</Description>`,
    `    <URI>\\${WINDOWS_PATHS.taskName(options.role)}</URI>`,
    "  </RegistrationInfo>",
    "  <Triggers>",
    "    <BootTrigger>",
    "      <Enabled>true</Enabled>",
    "    </BootTrigger>",
    "  </Triggers>",
    "  <Principals>",
    '    <Principal id="Author">',
    `      <UserId>${LOCAL_SERVICE}</UserId>`,
    "      <RunLevel>LeastPrivilege</RunLevel>",
    "    </Principal>",
    "  </Principals>",
    "  <Settings>",
    "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
    "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>",
    "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>",
    "    <StartWhenAvailable>true</StartWhenAvailable>",
    "    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>",
    "    <RestartOnFailure>",
    "      <Interval>PT1M</Interval>",
    "      <Count>999</Count>",
    "    </RestartOnFailure>",
    "    <Enabled>true</Enabled>",
    "    <Hidden>false</Hidden>",
    "  </Settings>",
    '  <Actions Context="Author">',
    "    <Exec>",
    "      <Command>C:\\Windows\\System32\\cmd.exe</Command>",
    `      <Arguments>${xml(taskArguments(options))}</Arguments>`,
    `      <WorkingDirectory>${xml(WINDOWS_PATHS.dataDir)}</WorkingDirectory>`,
    "    </Exec>",
    "  </Actions>",
    "</Task>",
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/** The plan for `config` on Windows; `binarySource` is the executable to install. */
export function windowsPlan(config: ServiceConfig, binarySource: string): Plan {
  const { role } = config;
  const other: ServiceRole = role === "worker" ? "master" : "worker";
  const task = WINDOWS_PATHS.taskName(role);
  if (config.action === "uninstall") {
    return {
      steps: [
        { op: "run", command: ["schtasks", "/End", "/TN", task], mayFail: true },
        { op: "run", command: ["schtasks", "/Delete", "/TN", task, "/F"], mayFail: true },
        { op: "remove", path: WINDOWS_PATHS.taskXml(role) },
        { op: "remove", path: WINDOWS_PATHS.tokenFile(role) },
        { op: "rmdir", path: WINDOWS_PATHS.dataDir },
        { op: "remove", path: WINDOWS_PATHS.binary, keepIf: WINDOWS_PATHS.taskXml(other) },
        { op: "rmdir", path: WINDOWS_PATHS.binDir },
      ],
      notes: [`Kept the ${role}'s data in ${WINDOWS_PATHS.stateDir(role)}.`],
    };
  }
  const tokenFile = config.token === undefined ? undefined : WINDOWS_PATHS.tokenFile(role);
  const text = scheduledTaskXml({
    role,
    binary: WINDOWS_PATHS.binary,
    args: config.args,
    tokenFile,
  });
  const grant = (path: string, ...rules: string[]) => ({
    op: "run" as const,
    command: ["icacls", path, ...rules],
  });
  return {
    steps: [
      { op: "copy", from: binarySource, path: WINDOWS_PATHS.binary, mode: 0o755 },
      { op: "mkdir", path: WINDOWS_PATHS.dataDir, mode: 0o755 },
      // LOCAL SERVICE may create its state directory here.
      grant(WINDOWS_PATHS.dataDir, "/grant", `*${LOCAL_SERVICE}:(OI)(CI)M`),
      ...(tokenFile === undefined ? [] : [
        { op: "write" as const, path: tokenFile, content: `${config.token}\r\n`, mode: 0o600 },
        grant(
          tokenFile,
          "/inheritance:r",
          "/grant:r",
          `*${SYSTEM}:F`,
          `*${ADMINISTRATORS}:F`,
          `*${LOCAL_SERVICE}:R`,
        ),
      ]),
      {
        op: "write",
        path: WINDOWS_PATHS.taskXml(role),
        content: text,
        mode: 0o644,
        encoding: "utf-16le",
      },
      { op: "run", command: ["schtasks", "/End", "/TN", task], mayFail: true },
      {
        op: "run",
        command: ["schtasks", "/Create", "/TN", task, "/XML", WINDOWS_PATHS.taskXml(role), "/F"],
      },
      { op: "run", command: ["schtasks", "/Run", "/TN", task] },
    ],
    notes: [
      `gridmon ${role} runs as the scheduled task ${task} (LOCAL SERVICE), started at boot.`,
      `Status: schtasks /Query /TN ${task} /V`,
    ],
  };
}
