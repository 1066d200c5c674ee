import assert from "node:assert/strict";
import { launchdPlist } from "../../src/service/launchd.ts";
import { describePlan, maskSecrets } from "../../src/service/plan.ts";
import { scheduledTaskXml, taskArguments } from "../../src/service/windows_task.ts";

const TOKEN = "join-token-0123456789";

Deno.test("launchdPlist() starts at load, restarts on failure and runs as nobody", () => {
  const text = launchdPlist({
    role: "worker",
    binary: "/usr/local/lib/gridmon/gridmon",
    args: ["--master", "ws://h:7863/ws/worker", "--name", "R&D <lab>"],
    token: TOKEN,
  });
  assert.match(text, /<key>RunAtLoad<\/key>\n\s*<true\/>/);
  assert.match(
    text,
    /<key>KeepAlive<\/key>\n\s*<dict>\n\s*<key>SuccessfulExit<\/key>\n\s*<false\/>/,
  );
  assert.match(text, /<key>UserName<\/key>\n\s*<string>nobody<\/string>/);
  assert.match(text, /<string>R&amp;D &lt;lab&gt;<\/string>/);
  const program = text.slice(text.indexOf("ProgramArguments"), text.indexOf("</array>"));
  assert.ok(!program.includes(TOKEN), "the token is not an argument");
  assert.match(text, new RegExp(`<key>GRIDMON_TOKEN</key>\\n\\s*<string>${TOKEN}</string>`));
});

Deno.test("taskArguments() reads the token file into GRIDMON_TOKEN before starting gridmon", () => {
  const args = taskArguments({
    role: "worker",
    binary: "C:\\Program Files\\gridmon\\gridmon.exe",
    args: ["--master", "ws://h:7863/ws/worker"],
    tokenFile: "C:\\ProgramData\\gridmon\\worker.token",
  });
  assert.equal(
    args,
    '/d /s /c "set /p GRIDMON_TOKEN=<C:\\ProgramData\\gridmon\\worker.token & ' +
      '"C:\\Program Files\\gridmon\\gridmon.exe" worker --master ws://h:7863/ws/worker ' +
      '--spool C:\\ProgramData\\gridmon\\worker"',
  );
});

Deno.test("scheduledTaskXml() starts at boot as LOCAL SERVICE and restarts on failure", () => {
  const xml = scheduledTaskXml({
    role: "master",
    binary: "C:\\Program Files\\gridmon\\gridmon.exe",
    args: ["--port", "7863"],
  });
  assert.match(xml, /<BootTrigger>/);
  assert.match(xml, /<UserId>S-1-5-19<\/UserId>/);
  assert.match(xml, /<RestartOnFailure>\r\n\s*<Interval>PT1M<\/Interval>/);
  assert.match(xml, /<ExecutionTimeLimit>PT0S<\/ExecutionTimeLimit>/);
  assert.match(xml, /--data C:\\ProgramData\\gridmon\\master&quot;<\/Arguments>/);
  assert.doesNotMatch(xml, /set \/p/, "no token file, no token read");
});

Deno.test("describePlan() masks every secret, in file contents and notes", () => {
  const text = describePlan({
    steps: [{
      op: "write",
      path: "/etc/gridmon/worker.env",
      content: `GRIDMON_TOKEN=${TOKEN}\n`,
      mode: 0o600,
    }],
    notes: [`token ${TOKEN}`],
  }, [TOKEN]);
  assert.ok(!text.includes(TOKEN));
  assert.match(text, /write \/etc\/gridmon\/worker\.env \(mode 0600\):\n {4}GRIDMON_TOKEN=\*{8}/);
  assert.equal(maskSecrets("a", [undefined, ""]), "a");
});
