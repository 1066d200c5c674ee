import assert from "node:assert/strict";
import { applyPlan, rootedPath } from "../../src/service/apply.ts";
import type { Plan } from "../../src/service/plan.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { parseServiceArgs } from "../../src/cli/service_args.ts";
import { checkCanApply, type HostFacts } from "../../src/service/main.ts";

function recorder(codes: Record<string, number> = {}) {
  const ran: string[] = [];
  return {
    ran,
    run: (command: string[]) => {
      ran.push(command.join(" "));
      return Promise.resolve({ code: codes[command.join(" ")] ?? 0, stderr: "boom" });
    },
  };
}

Deno.test("applyPlan() runs the commands in order when what they need is there", async () => {
  const present = await Deno.makeTempDir();
  try {
    const needs = { path: present, missing: "absent" };
    const plan: Plan = {
      steps: [
        { op: "run", command: ["systemctl", "daemon-reload"], needs },
        { op: "run", command: ["systemctl", "enable", "x"], needs },
      ],
      notes: [],
    };
    const { ran, run } = recorder();
    await applyPlan(plan, { run, log: () => {} });
    assert.deepEqual(ran, ["systemctl daemon-reload", "systemctl enable x"]);
  } finally {
    await Deno.remove(present);
  }
});

Deno.test("applyPlan() says clearly when systemd is not running, and runs nothing", async () => {
  const needs = {
    path: "/nonexistent/run/systemd/system",
    missing: "systemd is not running on this machine",
  };
  const plan: Plan = {
    steps: [{ op: "run", command: ["systemctl", "daemon-reload"], needs }],
    notes: [],
  };
  const { ran, run } = recorder();
  await assert.rejects(
    applyPlan(plan, { run, log: () => {} }),
    /Cannot run systemctl daemon-reload: systemd is not running on this machine/,
  );
  assert.deepEqual(ran, []);
});

Deno.test("applyPlan() ignores a failing command only where the plan allows it", async () => {
  const { ran, run } = recorder({ "systemctl disable x": 5, "systemctl enable x": 1 });
  const lines: string[] = [];
  await applyPlan(
    { steps: [{ op: "run", command: ["systemctl", "disable", "x"], mayFail: true }], notes: [] },
    { run, log: (line) => lines.push(line) },
  );
  assert.match(lines[0], /exit 5, ignored: boom/);
  await assert.rejects(
    applyPlan({ steps: [{ op: "run", command: ["systemctl", "enable", "x"] }], notes: [] }, {
      run,
      log: () => {},
    }),
    /systemctl enable x failed with exit code 1: boom/,
  );
  assert.deepEqual(ran, ["systemctl disable x", "systemctl enable x"]);
});

Deno.test("applyPlan() with a root runs no command", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { ran, run } = recorder();
    const lines: string[] = [];
    await applyPlan({ steps: [{ op: "run", command: ["schtasks", "/Run"] }], notes: [] }, {
      root,
      run,
      log: (line) => lines.push(line),
    });
    assert.deepEqual(ran, []);
    assert.deepEqual(lines, ["skipped (--root): schtasks /Run"]);
  } finally {
    await Deno.remove(root);
  }
});

Deno.test("applyPlan() reports a missing program by name", async () => {
  await assert.rejects(
    applyPlan(
      { steps: [{ op: "run", command: ["gridmon-no-such-program-xyz"] }], notes: [] },
      { log: () => {} },
    ),
    /Cannot run gridmon-no-such-program-xyz: it is not installed or not on PATH/,
  );
});

Deno.test("rootedPath() maps POSIX and Windows paths under the root", () => {
  assert.equal(rootedPath(undefined, "/etc/gridmon"), "/etc/gridmon");
  assert.equal(rootedPath("/tmp/r", "/etc/gridmon/worker.env"), "/tmp/r/etc/gridmon/worker.env");
  assert.equal(
    rootedPath("/tmp/r", "C:\\Program Files\\gridmon\\gridmon.exe"),
    "/tmp/r/C/Program Files/gridmon/gridmon.exe",
  );
});

Deno.test("applyPlan() writes a secret file that is never wider than its mode", async () => {
  const root = await Deno.makeTempDir();
  try {
    await applyPlan({
      steps: [{
        op: "write",
        path: "/etc/gridmon/worker.env",
        content: "GRIDMON_TOKEN=x\n",
        mode: 0o600,
      }],
      notes: [],
    }, { root, log: () => {} });
    const info = await Deno.stat(`${root}/etc/gridmon/worker.env`);
    assert.equal(info.mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const LINUX_INSTALL = parseServiceArgs(
  "worker",
  "install",
  ["--master", "h", "--token", "abcdefgh12"],
  {},
  "linux",
);
const ROOT_ON_SYSTEMD: HostFacts = { os: "linux", uid: 0, systemdRunning: true };

Deno.test("checkCanApply() lets root install where systemd runs", () => {
  checkCanApply(LINUX_INSTALL, ROOT_ON_SYSTEMD);
});

Deno.test("checkCanApply() refuses before writing: not root, no systemd, another platform", () => {
  assert.throws(
    () => checkCanApply(LINUX_INSTALL, { ...ROOT_ON_SYSTEMD, uid: 1000 }),
    /run it as root \(sudo gridmon worker install/,
  );
  assert.throws(
    () => checkCanApply(LINUX_INSTALL, { ...ROOT_ON_SYSTEMD, systemdRunning: false }),
    /systemd is not running on this machine/,
  );
  assert.throws(
    () => checkCanApply(LINUX_INSTALL, { os: "darwin", uid: 0, systemdRunning: false }),
    (error) => error instanceof UsageError && /--platform linux on darwin/.test(error.message),
  );
});

Deno.test("checkCanApply() lets uninstall go on without systemd, and checks nothing under --root", () => {
  const uninstall = parseServiceArgs("worker", "uninstall", [], {}, "linux");
  checkCanApply(uninstall, { ...ROOT_ON_SYSTEMD, systemdRunning: false });
  checkCanApply({ ...LINUX_INSTALL, root: "/tmp/x" }, {
    os: "windows",
    uid: 1000,
    systemdRunning: false,
  });
});
