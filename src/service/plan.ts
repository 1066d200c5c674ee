/**
 * What installing or uninstalling a service does, as data: a list of steps that `applyPlan`
 * carries out and `describePlan` prints for `--dry-run`. Paths are the real system's paths;
 * `--root` is applied only when carrying them out.
 */

/** One thing to do. */
export type Step =
  /** Create a directory (and missing parents) unless it exists. */
  | { op: "mkdir"; path: string; mode: number }
  /** Write a file atomically with this mode (it never exists with looser permissions). */
  | { op: "write"; path: string; content: string; mode: number; encoding?: "utf-8" | "utf-16le" }
  /** Copy an executable into place, unless `from` already is that file. */
  | { op: "copy"; from: string; path: string; mode: number }
  /** Remove a file if present, but keep it while `keepIf` exists (another service needs it). */
  | { op: "remove"; path: string; keepIf?: string }
  /** Remove a directory if it is empty. */
  | { op: "rmdir"; path: string }
  /**
   * Run a command (never with --root or --dry-run). `needs` names a path that must exist for the
   * command to make sense, and what its absence means.
   */
  | {
    op: "run";
    command: string[];
    mayFail?: boolean;
    needs?: { path: string; missing: string };
  };

/** The steps plus what to tell the user afterwards. */
export interface Plan {
  steps: Step[];
  notes: string[];
}

const MASK = "********";

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

function quoteWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./\\-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function describeStep(step: Step): string {
  switch (step.op) {
    case "mkdir":
      return `mkdir -m ${octal(step.mode)} ${step.path}`;
    case "write": {
      const body = step.content.replace(/\n$/, "").split("\n").map((line) => `    ${line}`);
      const encoding = step.encoding === "utf-16le" ? ", UTF-16LE" : "";
      return [`write ${step.path} (mode ${octal(step.mode)}${encoding}):`, ...body].join("\n");
    }
    case "copy":
      return `copy ${step.from} -> ${step.path} (mode ${octal(step.mode)})`;
    case "remove":
      return step.keepIf === undefined
        ? `remove ${step.path}`
        : `remove ${step.path} (kept while ${step.keepIf} exists)`;
    case "rmdir":
      return `rmdir ${step.path} (if empty)`;
    case "run":
      return `run ${step.command.map(quoteWord).join(" ")}${step.mayFail ? " (may fail)" : ""}`;
  }
}

/** Replaces every occurrence of each secret in `text` with asterisks. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let masked = text;
  for (const secret of secrets) if (secret) masked = masked.replaceAll(secret, MASK);
  return masked;
}

/** The plan as text, one step per line (file contents indented), with `secrets` masked. */
export function describePlan(plan: Plan, secrets: readonly (string | undefined)[]): string {
  const lines = plan.steps.map(describeStep);
  if (plan.notes.length > 0) lines.push("", ...plan.notes);
  return maskSecrets(`${lines.join("\n")}\n`, secrets);
}
