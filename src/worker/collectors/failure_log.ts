/** Logs each collector's failures once per distinct message, and its recovery once. */
export interface FailureLog {
  /** Records a failure of `source`; logs it unless this exact message was already logged. */
  failed(source: string, message: string): void;
  /** Records a success of `source`; logs a recovery line if it had failed before. */
  succeeded(source: string): void;
}

/** A FailureLog writing to `log` (console.warn by default). */
export function createFailureLog(log: (message: string) => void = console.warn): FailureLog {
  const seen = new Map<string, Set<string>>();
  return {
    failed(source, message) {
      let messages = seen.get(source);
      if (messages === undefined) seen.set(source, messages = new Set());
      if (messages.has(message)) return;
      messages.add(message);
      log(`${source}: ${message} (its metrics are left out until it recovers)`);
    },
    succeeded(source) {
      if (!seen.has(source)) return;
      seen.delete(source);
      log(`${source}: recovered`);
    },
  };
}
