/** Carries out a service Plan on the file system, optionally under a scratch root. */
import { dirname, join } from "node:path";
import type { Plan, Step } from "./plan.ts";

/** Runs a command and reports its exit code and error output. */
export type CommandRunner = (command: string[]) => Promise<{ code: number; stderr: string }>;

export interface ApplyOptions {
  /** Prefix of every path; with it, no command is run. */
  root?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Runs commands (default: Deno.Command). */
  run?: CommandRunner;
}

/**
 * The path `path` (POSIX or Windows, e.g. `C:\ProgramData\gridmon`) takes under `root`:
 * `root/C/ProgramData/gridmon`. Without a root, `path` itself.
 */
export function rootedPath(root: string | undefined, path: string): string {
  if (root === undefined) return path;
  const posix = path.replace(/^([A-Za-z]):/, "/$1").replaceAll("\\", "/");
  return join(root, posix);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function chmod(path: string, mode: number): Promise<void> {
  if (Deno.build.os !== "windows") await Deno.chmod(path, mode);
}

async function writeAtomically(path: string, data: Uint8Array, mode: number): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.gridmon-tmp`;
  // Created 0600 and widened afterwards: a secret is never readable by others, not even briefly.
  await Deno.writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, mode);
  await Deno.rename(tmp, path);
}

function encode(text: string, encoding: "utf-8" | "utf-16le" = "utf-8"): Uint8Array {
  if (encoding === "utf-8") return new TextEncoder().encode(text);
  const bytes = new Uint8Array(2 + text.length * 2);
  bytes.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes[2 + 2 * i] = unit & 0xff;
    bytes[3 + 2 * i] = unit >> 8;
  }
  return bytes;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    return (await Deno.realPath(a)) === (await Deno.realPath(b));
  } catch {
    return false;
  }
}

async function defaultRun(command: string[]): Promise<{ code: number; stderr: string }> {
  const [program, ...args] = command;
  try {
    const output = await new Deno.Command(program, { args, stdout: "inherit", stderr: "piped" })
      .output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr).trim() };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot run ${program}: it is not installed or not on PATH`);
    }
    throw error;
  }
}

async function applyStep(step: Step, options: Required<Omit<ApplyOptions, "root">> & ApplyOptions) {
  const at = (path: string) => rootedPath(options.root, path);
  const { log } = options;
  switch (step.op) {
    case "mkdir":
      if (!(await exists(at(step.path)))) {
        await Deno.mkdir(at(step.path), { recursive: true, mode: step.mode });
        await chmod(at(step.path), step.mode);
        log(`created ${step.path}`);
      }
      return;
    case "write":
      await writeAtomically(at(step.path), encode(step.content, step.encoding), step.mode);
      log(`wrote ${step.path}`);
      return;
    case "copy":
      if (await sameFile(step.from, at(step.path))) return log(`kept ${step.path} (the same file)`);
      await writeAtomically(at(step.path), await Deno.readFile(step.from), step.mode);
      log(`installed ${step.path}`);
      return;
    case "remove":
      if (step.keepIf !== undefined && await exists(at(step.keepIf))) {
        return log(`kept ${step.path} (still used by ${step.keepIf})`);
      }
      if (await exists(at(step.path))) {
        await Deno.remove(at(step.path));
        log(`removed ${step.path}`);
      }
      return;
    case "rmdir":
      if (!(await exists(at(step.path)))) return;
      for await (const _ of Deno.readDir(at(step.path))) {
        return log(`kept ${step.path} (not empty)`);
      }
      await Deno.remove(at(step.path));
      log(`removed ${step.path}`);
      return;
    case "run": {
      const shown = step.command.join(" ");
      if (options.root !== undefined) return log(`skipped (--root): ${shown}`);
      if (step.needs && !(await exists(step.needs.path))) {
        if (step.mayFail) return log(`skipped: ${shown} (${step.needs.missing})`);
        throw new Error(`Cannot run ${shown}: ${step.needs.missing}`);
      }
      const { code, stderr } = await options.run(step.command);
      if (code === 0) return log(`ran ${shown}`);
      if (step.mayFail) {
        return log(`ran ${shown} (exit ${code}, ignored${stderr ? `: ${stderr}` : ""})`);
      }
      throw new Error(`${shown} failed with exit code ${code}${stderr ? `: ${stderr}` : ""}`);
    }
  }
}

/** Carries out every step in order; stops at the first failure with a clear error. */
export async function applyPlan(plan: Plan, options: ApplyOptions = {}): Promise<void> {
  const full = {
    log: options.log ?? ((line: string) => console.error(line)),
    run: options.run ?? defaultRun,
    root: options.root,
  };
  for (const step of plan.steps) await applyStep(step, full);
}
