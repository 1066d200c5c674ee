import { UsageError } from "./errors.ts";

/** The one place that prints a fatal error and exits non-zero (2 for usage errors, else 1). */
export function fatal(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof UsageError ? " (see gridmon help)" : "";
  console.error(`gridmon: ${message}${hint}`);
  Deno.exit(error instanceof UsageError ? 2 : 1);
}
