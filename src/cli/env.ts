/**
 * The process environment as a read-only record that asks for one variable at a time, so a
 * mode run with `--allow-env=GRIDMON_*` never needs access to the whole environment.
 */
export function processEnv(): Record<string, string | undefined> {
  return new Proxy({}, {
    get(_target, name) {
      if (typeof name !== "string") return undefined;
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // not permitted: treat as unset
      }
    },
  });
}
