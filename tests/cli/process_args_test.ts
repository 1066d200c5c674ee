import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { parseWorkerArgs } from "../../src/cli/worker_args.ts";

Deno.test("process flags: defaults, environment, and the sample interval as a floor", () => {
  assert.deepEqual(parseWorkerArgs(["--print"], {}).processes, {
    intervalMs: 5000,
    top: 10,
    watch: [],
    cmdline: false,
  });
  // a worker sampling every 10 s scans processes with every sample by default
  assert.equal(parseWorkerArgs(["--print", "--interval", "10s"], {}).processes?.intervalMs, 10000);
  const env = { GRIDMON_WATCH_PROCESS: "nginx, postgres,nginx", GRIDMON_PROCESS_TOP: "3" };
  assert.deepEqual(parseWorkerArgs(["--print", "--process-cmdline"], env).processes, {
    intervalMs: 5000,
    top: 3,
    watch: ["nginx", "postgres"],
    cmdline: true,
  });
  const flags = ["--print", "--process-interval", "2s", "--process-top", "0"];
  assert.deepEqual(parseWorkerArgs(flags, env).processes, {
    intervalMs: 2000,
    top: 0,
    watch: ["nginx", "postgres"],
    cmdline: false,
  });
  assert.equal(parseWorkerArgs(["--print", "--process-interval", "off"], {}).processes, undefined);
});

Deno.test("process flags refuse bad values with one line naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [
      ["--process-interval", "500ms"],
      /--process-interval: 500ms is shorter than --interval \(1s\)/,
    ],
    [["--process-interval", "soon"], /--process-interval: "soon" is not a duration/],
    [["--process-top", "101"], /--process-top: 101 is out of range \(0 to 100\)/],
    [["--process-top", "ten"], /--process-top: "ten" is not a whole number/],
    [["--watch-process", "nginx,,pg"], /--watch-process: "nginx,,pg" has an empty name/],
    [
      ["--watch-process", "postgres-exporter"],
      /"postgres-exporter" is longer than 15 bytes; Linux names a process by the first 15/,
    ],
    [
      ["--watch-process", Array.from({ length: 65 }, (_, i) => `p${i}`).join(",")],
      /65 names, at most 64/,
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseWorkerArgs(["--print", ...argv], {}), (error: Error) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
});
