/**
 * `deno run --allow-read=ROOT scan_processes_main.ts ROOT`: two process scans of the procfs at
 * ROOT, half a second apart; prints the second as JSON, with its own pid. It imports nothing from npm, so it runs
 * as another user with an empty DENO_DIR (tests/worker/process_permissions_test.ts).
 */
import { createProcfsTable } from "../../src/worker/collectors/processes.ts";

const table = createProcfsTable({
  procRoot: Deno.args[0],
  intervalMs: 500,
  sampleIntervalMs: 500,
  top: 100,
  watch: [],
  cmdline: false,
  log: (message) => console.error(message),
});
table.scan();
await new Promise((resolve) => setTimeout(resolve, 500));
console.log(JSON.stringify({ scan: table.scan(), pid: Deno.pid }));
