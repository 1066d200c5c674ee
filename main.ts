/**
 * gridmon: one executable, several modes. Each mode is imported only when it runs, so a worker
 * never loads the master's code.
 */
import { UsageError } from "./src/cli/errors.ts";
import { fatal } from "./src/cli/fatal.ts";
import { processEnv } from "./src/cli/env.ts";
import { dropPermissions } from "./src/cli/permissions.ts";
import { GRIDMON_VERSION } from "./src/version.ts";

/** A mode's entry point: its own argv (after the mode name) and the environment. */
export type ModeMain = (argv: string[], env: Record<string, string | undefined>) => Promise<void>;

const MODES: Record<string, () => Promise<{ main: ModeMain }>> = {
  master: () => import("./src/master/main.ts"),
  worker: () => import("./src/worker/main.ts"),
  simulate: () => import("./src/simulate/main.ts"),
  score: () => import("./src/detect/score_main.ts"),
};

export const HELP =
  `gridmon ${GRIDMON_VERSION} — real-time monitoring and anomaly detection for a fleet of machines

Usage:
  gridmon master   [--port 7863] [--data ./data] [--token T] [--no-local-worker] ...
  gridmon worker   --master HOST[:PORT] --token T [--interval 1s] [--name N] ...
  gridmon worker   --print [--once]
  gridmon simulate --master URL --token T --workers N [--duration 60s] ...
  gridmon score    --input F.csv [--output F.csv|-] [--mode batch|stream] ...
  gridmon worker   install --master HOST --token T [--dry-run]   (a service; also: uninstall)
  gridmon master   install [--port 7863] [--dry-run]             (a service; also: uninstall)
  gridmon version
  gridmon help

Run \`gridmon <mode> --help\` for the options of a mode.
`;

async function run(argv: string[]): Promise<void> {
  dropPermissions(argv);
  const [mode, ...rest] = argv;
  if (mode === undefined || mode === "help" || mode === "--help" || mode === "-h") {
    console.log(HELP);
    return;
  }
  if (mode === "version" || mode === "--version" || mode === "-V") {
    console.log(`gridmon ${GRIDMON_VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})`);
    return;
  }
  const load = MODES[mode];
  if (!load) {
    throw new UsageError(
      `unknown mode "${mode}"; expected master, worker, simulate, score, version or help`,
    );
  }
  if ((mode === "worker" || mode === "master") && /^(un)?install$/.test(rest[0] ?? "")) {
    const { serviceMain } = await import("./src/service/main.ts");
    return await serviceMain(mode, rest[0] as "install" | "uninstall", rest.slice(1), processEnv());
  }
  const { main } = await load();
  await main(rest, processEnv());
}

if (import.meta.main) {
  run(Deno.args).catch(fatal);
}
