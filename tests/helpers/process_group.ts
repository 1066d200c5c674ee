/**
 * A command run as a terminal would: in a process group of its own (setsid), so a signal can go
 * to the whole group, as Ctrl-C does, or to the command's own process only.
 */

export interface GroupProcess {
  child: Deno.ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** True once the process ended. */
  exited(): boolean;
  /** Resolves once `pattern` shows in the output; rejects if the process ends or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Sends `signal` to the group (default) or to the command's process only. */
  signal(signal: Deno.Signal, to?: "group" | "process"): void;
  /** Resolves with the exit status once the output is drained. */
  done: Promise<Deno.CommandStatus>;
  /** SIGKILL to the group, if anything is left, and waits. */
  kill(): Promise<void>;
}

export function spawnInGroup(
  command: string[],
  options: { cwd: string; env?: Record<string, string>; clearEnv?: boolean },
): GroupProcess {
  const child = new Deno.Command("setsid", {
    args: command,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    clearEnv: options.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const drained = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
  }));
  let ended = false;
  const done = Promise.all([child.status, drained]).then(([status]) => (ended = true, status));
  const signal = (sig: Deno.Signal, to: "group" | "process" = "group") => {
    // setsid made the command the leader of a group whose id is its pid.
    Deno.kill(to === "group" ? -child.pid : child.pid, sig);
  };
  return {
    child,
    output: () => output,
    exited: () => ended,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (ended) throw new Error(`ended before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) {
          throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    signal,
    done,
    async kill() {
      if (!ended) {
        try {
          signal("SIGKILL");
        } catch { /* already gone */ }
      }
      await done;
    },
  };
}
