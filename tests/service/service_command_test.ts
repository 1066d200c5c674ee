/** The command line each service definition starts is one the worker or master accepts. */
import assert from "node:assert/strict";
import { parseMasterArgs } from "../../src/cli/master_args.ts";
import { parseServiceArgs, type ServicePlatform } from "../../src/cli/service_args.ts";
import { parseWorkerArgs } from "../../src/cli/worker_args.ts";
import { servicePlan } from "../../src/service/main.ts";
import type { Step } from "../../src/service/plan.ts";

const TOKEN = "join-token-0123456789";

function written(steps: Step[], suffix: string): string {
  const step = steps.find((s) => s.op === "write" && s.path.endsWith(suffix));
  assert.ok(step && step.op === "write", suffix);
  return step.content;
}

/** The argv after the binary, as each service manager would pass it. */
function serviceArgv(platform: ServicePlatform, steps: Step[], role: string): string[] {
  if (platform === "linux") {
    const line = written(steps, `gridmon-${role}.service`).match(/^ExecStart=(.*)$/m)![1];
    return line.split(" ").slice(1);
  }
  if (platform === "darwin") {
    const plist = written(steps, `com.gridmon.${role}.plist`);
    const array = plist.slice(plist.indexOf("<array>"), plist.indexOf("</array>"));
    return [...array.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]).slice(1);
  }
  const xml = written(steps, `gridmon-${role}.xml`);
  const args = xml.match(/<Arguments>(.*)<\/Arguments>/)![1].replaceAll("&quot;", '"');
  return args.slice(args.indexOf('gridmon.exe" ') + 'gridmon.exe" '.length, -1).split(" ");
}

for (const platform of ["linux", "darwin", "windows"] as const) {
  Deno.test(`${platform}: the worker service's command line parses, token from the environment`, () => {
    const config = parseServiceArgs(
      "worker",
      "install",
      ["--master", "10.0.0.5:9000", "--token", TOKEN, "--name", "web-1", "--interval", "5s"],
      {},
      platform,
    );
    const argv = serviceArgv(platform, servicePlan(config, "/tmp/gridmon").steps, "worker");
    assert.equal(argv[0], "worker");
    assert.ok(!argv.includes(TOKEN));
    const worker = parseWorkerArgs(argv.slice(1), { GRIDMON_TOKEN: TOKEN });
    assert.equal(worker.masterUrl, "ws://10.0.0.5:9000/ws/worker");
    assert.equal(worker.token, TOKEN);
    assert.equal(worker.name, "web-1");
    assert.equal(worker.intervalMs, 5000);
    assert.match(worker.spoolDir, /gridmon[-\\/]+worker$/);
  });

  Deno.test(`${platform}: the master service's command line parses`, () => {
    const config = parseServiceArgs(
      "master",
      "install",
      ["--port", "8080", "--no-local-worker"],
      {},
      platform,
    );
    const argv = serviceArgv(platform, servicePlan(config, "/tmp/gridmon").steps, "master");
    assert.equal(argv[0], "master");
    const master = parseMasterArgs(argv.slice(1), {});
    assert.equal(master.port, 8080);
    assert.equal(master.localWorker, false);
    assert.match(master.dataDir, /gridmon[-\\/]+master$/);
  });
}
