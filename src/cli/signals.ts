/** Signals that stop a mode gracefully. */

/**
 * A repeat of the stop signal within this time belongs to the same Ctrl-C: a terminal signals
 * the whole process group, so under `deno task` (or any wrapper that forwards signals) the
 * process gets the signal twice at once, and must not die of the second while it shuts down.
 */
const SAME_STOP_MS = 2000;

/**
 * Resolves on the first SIGINT or SIGTERM (SIGINT only where SIGTERM cannot be caught). The
 * listeners stay: a repeat within SAME_STOP_MS is ignored; a later one (someone pressing
 * Ctrl-C again while shutdown hangs) exits at once with 130. Listeners do not keep a process
 * alive, so they need no removal.
 */
export function untilSignal(
  options: { exit?: (code: number) => void; now?: () => number } = {},
): Promise<Deno.Signal> {
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const now = options.now ?? Date.now;
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  let firstAt: number | undefined;
  return new Promise((resolve) => {
    for (const signal of signals) {
      Deno.addSignalListener(signal, () => {
        if (firstAt === undefined) {
          firstAt = now();
          resolve(signal);
        } else if (now() - firstAt > SAME_STOP_MS) {
          console.error(`gridmon: ${signal} again: exiting without finishing the shutdown`);
          exit(130);
        }
      });
    }
  });
}
