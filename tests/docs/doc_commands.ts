/**
 * The shell commands README.md and docs/*.md tell people to run, and how a test runs each.
 *
 * A documented command is a line of a ```sh (or bash, shell) block, or an inline code span of
 * the prose (or of such a block's comments), that starts with `gridmon`, `./gridmon` or `deno task` (after an optional `sudo`).
 * Inline spans that only name a mode (`gridmon master` in a sentence) are names, not commands.
 */

export interface DocCommand {
  file: string;
  line: number;
  /** The command as written, without `sudo` and without a trailing `# comment`. */
  command: string;
}

const COMMAND_RE = /^(?:\.\/)?gridmon(?:\s|$)|^deno task\s/;
const FENCE_RE = /^\s*```\s*([\w-]*)/;

function normalize(text: string): string {
  return text.replace(/\s+#\s.*$/, "").replace(/^sudo\s+/, "").trim();
}

/** The documented commands of one markdown file, in order, each once. */
export function documentedCommands(markdown: string, file: string): DocCommand[] {
  const found: DocCommand[] = [];
  const seen = new Set<string>();
  const add = (line: number, text: string) => {
    const command = normalize(text);
    if (!COMMAND_RE.test(command) || seen.has(command)) return;
    seen.add(command);
    found.push({ file, line, command });
  };
  let fence: string | null = null;
  markdown.split("\n").forEach((text, i) => {
    const opening = FENCE_RE.exec(text);
    if (opening) {
      fence = fence === null ? opening[1] : null;
      return;
    }
    if (fence !== null && !/^(sh|bash|shell|console)$/.test(fence)) return;
    if (fence !== null) add(i + 1, text); // and the spans of its comment, below
    for (const span of text.matchAll(/`([^`]+)`/g)) {
      const words = span[1].trim().split(/\s+/);
      const namesAMode = /gridmon$/.test(words[0]) && words.length <= 2;
      if (!namesAMode) add(i + 1, span[1]);
    }
  });
  return found;
}

/** How the test runs a command. */
export type RunPlan =
  /**
   * Runs to the end by itself and must exit 0. `inRepo`: it changes no file, so it runs in the
   * checkout itself, where deno's type-check cache from `deno task check` applies.
   */
  | { kind: "exits"; command: string; env?: Record<string, string>; inRepo?: boolean }
  /**
   * Runs until stopped (a master, a worker, a live simulation): it must print `ready`, keep
   * running, and exit 0 on SIGINT, its output then matching `stopped`.
   */
  | {
    kind: "serves";
    command: string;
    ready: RegExp;
    stopped: RegExp;
    env?: Record<string, string>;
  };

/** What the test knows about the master it started for commands that need one. */
export interface Hub {
  /** host:port of the master started from the docs (`deno task master`). */
  address: string;
  joinToken: string;
}

/** The documented master command that the other commands connect to. */
export const HUB_COMMAND = "deno task master";

const MASTER_READY = /Add a machine by running on it/;
const MASTER_STOPPED = /gridmon master: stopped/;

/**
 * Puts the test's own master where the docs name an example one (192.168.1.101, localhost,
 * `...`) and its join token where they name a placeholder (JOIN_TOKEN, Jx9..., `...`).
 */
export function withHub(command: string, hub: Hub): string {
  return command
    .replace(
      /--master (?:192\.168\.1\.101(?::7863)?|localhost|\.\.\.)(?=\s|$)/,
      `--master ${hub.address}`,
    )
    .replace(/--token (?:JOIN_TOKEN|Jx9\.\.\.|\.\.\.)(?=\s|$)/, `--token ${hub.joinToken}`);
}

/** True when the command needs the hub master running. */
export function needsHub(command: string): boolean {
  return /--master\s/.test(command) && !/\s(un)?install\b/.test(command);
}

/**
 * The plan for one documented command. The few that cannot run as written in a test say why:
 * the whole test suite (it would run itself), every benchmark (tens of minutes), a release build
 * of five platforms (no internet to fetch their runtimes), and installing system services.
 */
export function planFor(command: string, hub: Hub): RunPlan {
  const cmd = withHub(command, hub);
  if (/^deno task test(\s|$)/.test(cmd)) {
    // The task as written, on one test file: the whole suite includes this test.
    return { kind: "exits", command: `${cmd} tests/cli/args_test.ts`, inRepo: true };
  }
  if (/^deno task check$/.test(cmd)) {
    return { kind: "exits", command: cmd, inRepo: true };
  }
  if (/^deno task bench(\s|$)/.test(cmd)) {
    // The bench runner as written, each benchmark on its documented knobs for a short run (the
    // ingest one without its minutes-long back-fill phase); a bare `deno task bench`, which
    // runs them all for tens of minutes, runs one.
    return {
      kind: "exits",
      command: /^deno task bench\s+\w/.test(cmd) ? cmd : `${cmd} protocol_validate`,
      inRepo: true,
      env: {
        GRIDMON_BENCH_SECONDS_PER_CASE: "0.1",
        GRIDMON_BENCH_ONLY: "live",
        GRIDMON_BENCH_INGEST_SECONDS: "2",
        GRIDMON_BENCH_SECONDS: "3",
        GRIDMON_BENCH_WORKERS: "50",
      },
    };
  }
  if (/^deno task compile(\s|$)/.test(cmd)) {
    // One real build for this platform (DENORT_BIN: this machine cannot download runtimes, as
    // docs/install.md explains); the five-platform build as its dry run.
    return /--target/.test(cmd)
      ? { kind: "exits", command: cmd, env: { DENORT_BIN: Deno.execPath() } }
      : { kind: "exits", command: `${cmd} --dry-run` };
  }
  if (/^(\.\/)?gridmon (master|worker) (un)?install\b/.test(cmd)) {
    // As a dry run (installing services needs root and changes the system); --binary: the
    // test's gridmon is main.ts behind a script, not the release binary install copies.
    const binary = /\binstall\b/.test(cmd) && !/uninstall/.test(cmd) ? " --binary ./gridmon" : "";
    return { kind: "exits", command: `${cmd} --dry-run${binary}` };
  }
  if (/^(\.\/)?gridmon master\b|^deno task (master|start|dev)\b/.test(cmd)) {
    return { kind: "serves", command: cmd, ready: MASTER_READY, stopped: MASTER_STOPPED };
  }
  if (/^(\.\/)?gridmon worker\b|^deno task worker\b/.test(cmd) && !/--print/.test(cmd)) {
    return {
      kind: "serves",
      command: cmd,
      ready: /gridmon worker: connected to /,
      stopped: /SIGINT: flushing the spool/,
    };
  }
  if (/^(\.\/)?gridmon simulate\b/.test(cmd) && !/--duration/.test(cmd)) {
    return {
      kind: "serves",
      command: cmd,
      ready: /simulate: \d+ machines ->/,
      stopped: /simulate: done, \d+\/\d+ connected, [1-9]\d* samples acknowledged/,
    };
  }
  return { kind: "exits", command: cmd };
}
