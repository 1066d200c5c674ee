import assert from "node:assert/strict";
import { join } from "node:path";
import { systemdEnvFile, systemdUnit, systemdWord } from "../../src/service/systemd.ts";

const TOKEN = "s3cret-join-token-XYZ";

/** An executable file for ExecStart: systemd-analyze verify checks that it exists. */
async function fakeBinary(dir: string): Promise<string> {
  const path = join(dir, "gridmon");
  await Deno.writeTextFile(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  return path;
}

async function verify(unitText: string, name: string, dir: string) {
  const path = join(dir, name);
  await Deno.writeTextFile(path, unitText);
  const output = await new Deno.Command("systemd-analyze", {
    args: ["verify", "--man=no", path],
    stdout: "piped",
    stderr: "piped",
    env: { SYSTEMD_LOG_COLOR: "0" },
  }).output();
  return {
    code: output.code,
    text: new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr),
  };
}

const UNITS = [
  { name: "worker", role: "worker" as const, args: ["--master", "ws://10.0.0.5:7863/ws/worker"] },
  {
    name: "worker with a quoted name",
    role: "worker" as const,
    args: ["--master", "ws://h:7863/ws/worker", "--name", "web 1 @ 100% $HOST"],
  },
  { name: "master", role: "master" as const, args: ["--port", "7863"], port: 7863 },
  { name: "master on port 80", role: "master" as const, args: ["--port", "80"], port: 80 },
];

for (const unit of UNITS) {
  Deno.test(`systemd-analyze verify accepts the ${unit.name} unit without a word`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const text = systemdUnit({
        role: unit.role,
        binary: await fakeBinary(dir),
        args: unit.args,
        envFile: `/etc/gridmon/${unit.role}.env`,
        port: unit.port,
      });
      const { code, text: said } = await verify(text, `gridmon-${unit.role}.service`, dir);
      assert.equal(code, 0, said);
      assert.equal(said.trim(), "", "no warning either");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("systemd-analyze verify rejects a unit whose binary is missing (the check is real)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const text = systemdUnit({ role: "worker", binary: join(dir, "absent"), args: [] });
    const { code, text: said } = await verify(text, "gridmon-worker.service", dir);
    assert.notEqual(code, 0);
    assert.match(said, /is not executable|No such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("systemdUnit() runs an unprivileged, sandboxed service that restarts on failure", () => {
  const text = systemdUnit({ role: "worker", binary: "/usr/local/lib/gridmon/gridmon", args: [] });
  for (
    const line of [
      "DynamicUser=yes",
      "StateDirectory=gridmon-worker",
      "Restart=on-failure",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "ProtectKernelTunables=yes",
      "ProtectControlGroups=yes",
      "CapabilityBoundingSet=",
      "SystemCallFilter=@system-service",
      "WantedBy=multi-user.target",
    ]
  ) {
    assert.ok(text.split("\n").includes(line), line);
  }
  assert.match(text, /^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX/m);
  assert.match(text, /^ExecStart=\S+ worker --spool \/var\/lib\/gridmon-worker$/m);
});

Deno.test("systemdUnit() takes the token from the EnvironmentFile, never the command line", () => {
  const text = systemdUnit({
    role: "worker",
    binary: "/usr/local/lib/gridmon/gridmon",
    args: ["--master", "ws://h:7863/ws/worker"],
    envFile: "/etc/gridmon/worker.env",
  });
  assert.match(text, /^EnvironmentFile=\/etc\/gridmon\/worker\.env$/m);
  assert.doesNotMatch(text, /--token/);
  assert.equal(
    systemdEnvFile(TOKEN).split("\n").filter((l) => !l.startsWith("#"))[0],
    `GRIDMON_TOKEN=${TOKEN}`,
  );
});

Deno.test("systemdUnit() grants only CAP_NET_BIND_SERVICE, and only below port 1024", () => {
  const low = systemdUnit({ role: "master", binary: "/b", args: [], port: 443 });
  assert.match(low, /^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
  assert.match(low, /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  const high = systemdUnit({ role: "master", binary: "/b", args: [], port: 7863 });
  assert.match(high, /^CapabilityBoundingSet=$/m);
  assert.match(high, /^ExecStart=\/b master --data \/var\/lib\/gridmon-master$/m);
});

Deno.test("systemdWord() escapes specifiers, variables, spaces and quotes", () => {
  assert.equal(systemdWord("ws://h:7863/ws/worker"), "ws://h:7863/ws/worker");
  assert.equal(systemdWord("50%"), "50%%");
  assert.equal(systemdWord("$HOME"), "$$HOME");
  assert.equal(systemdWord("web 1"), '"web 1"');
  assert.equal(systemdWord('a"b\\c'), '"a\\"b\\\\c"');
});

Deno.test("systemd-analyze security rates the worker and master units 2.0 or better", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const binary = await fakeBinary(dir);
    for (const role of ["worker", "master"] as const) {
      const path = join(dir, `gridmon-${role}.service`);
      await Deno.writeTextFile(path, systemdUnit({ role, binary, args: [] }));
      const output = await new Deno.Command("systemd-analyze", {
        args: ["security", "--offline=true", "--no-pager", path],
        stdout: "piped",
        stderr: "piped",
        env: { SYSTEMD_COLORS: "0" },
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(text);
      assert.ok(level, text + new TextDecoder().decode(output.stderr));
      assert.ok(Number(level[1]) > 0 && Number(level[1]) <= 2.0, `${role}: exposure ${level[1]}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
