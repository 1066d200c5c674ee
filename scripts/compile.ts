/**
 * `deno task compile [--target T ...] [--out DIR] [--dry-run]`: builds the gridmon executable for
 * every supported platform (or the given ones) into dist/ as gridmon-<version>-<target>[.exe],
 * then writes dist/SHA256SUMS over every gridmon-<version>-* file there.
 *
 * `deno compile` downloads its runtime (denort) per target. Offline, point DENORT_BIN at a
 * denort of the same Deno version for one target and build that target alone.
 */
import { masterV8FlagsArg } from "../src/master/permissions.ts";
import { createHash } from "node:crypto";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { COMPILE_PERMISSION_FLAGS } from "../src/cli/permissions.ts";
import { GRIDMON_VERSION } from "../src/version.ts";
import { EXPORT_WORKER_URL } from "../src/master/export/exporter.ts";

/** Terminal colour codes (ESC [ ... m). */
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Every platform gridmon is built for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

export type Target = typeof TARGETS[number];

/** The Deno version whose runtime the binaries embed (CI and the release pin it too). */
export const DENO_VERSION = "2.9.6";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The export thread's module, relative to the repository (a Worker entry, so `--include`d). */
export const EXPORT_WORKER_MODULE = relative(REPO_ROOT, fileURLToPath(EXPORT_WORKER_URL));

/** File name of the executable for `target`: gridmon-0.1.0-x86_64-pc-windows-msvc.exe. */
export function artifactName(version: string, target: Target): string {
  return `gridmon-${version}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** A supported target, or a RangeError naming the supported ones. */
export function parseTarget(text: string): Target {
  if ((TARGETS as readonly string[]).includes(text)) return text as Target;
  throw new RangeError(`Unknown target "${text}"; expected one of: ${TARGETS.join(", ")}`);
}

/**
 * Arguments of `deno` that build gridmon for `target` into `outDir` (relative to the repository).
 * - main.ts imports each mode with a literal specifier, which puts it in the module graph, and
 *   the UI assets are text imports (tests/compile checks both). The one `--include` is the
 *   export thread's module (EXPORT_WORKER_MODULE): a Worker's entry is outside
 *   the graph.
 * - `--no-check`: `deno task check` type-checks everything once before; five more checks of
 *   the same graph would only cost time.
 * - `--exclude-unused-npm`: the lockfile also holds test-only packages (playwright-core).
 */
export function compileArgs(target: Target, version: string, outDir = "dist"): string[] {
  return [
    "compile",
    "--no-check",
    "--exclude-unused-npm",
    ...COMPILE_PERMISSION_FLAGS,
    masterV8FlagsArg(),
    "--include",
    EXPORT_WORKER_MODULE,
    "--target",
    target,
    "--output",
    `${outDir}/${artifactName(version, target)}`,
    "main.ts",
  ];
}

/** `sha256sum`-compatible lines (`<hex>  <name>`), sorted by name. */
export async function sha256Sums(paths: string[]): Promise<string> {
  const lines: string[] = [];
  for (const path of [...paths].sort((a, b) => basename(a).localeCompare(basename(b)))) {
    const hash = createHash("sha256");
    using file = await Deno.open(path);
    for await (const chunk of file.readable) hash.update(chunk);
    lines.push(`${hash.digest("hex")}  ${basename(path)}`);
  }
  return lines.map((line) => `${line}\n`).join("");
}

/** Says what went wrong when `deno compile` failed, pointing at DENORT_BIN when it could not download. */
export function explainFailure(target: Target, stderr: string, denortBin?: string): string {
  const plain = stderr.replace(ANSI_COLOR, "");
  if (/Setting up base binary|dl\.deno\.land|denort/i.test(plain) && denortBin === undefined) {
    return [
      `Cannot build ${target}: deno compile could not download its runtime (denort) for it.`,
      `Offline, fetch denort-${target}.zip of Deno ${DENO_VERSION} on a machine that can`,
      `(https://dl.deno.land/release/v${DENO_VERSION}/denort-${target}.zip), unzip it here, and run:`,
      `  DENORT_BIN=$PWD/denort deno task compile --target ${target}`,
    ].join("\n");
  }
  const hint = denortBin === undefined
    ? ""
    : `\n(DENORT_BIN=${denortBin}: it must be the denort of Deno ${DENO_VERSION} for ${target})`;
  return `Cannot build ${target}: deno compile failed.${hint}`;
}

async function gridmonArtifacts(outDir: string, version: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(outDir)) {
    if (entry.isFile && entry.name.startsWith(`gridmon-${version}-`)) {
      found.push(join(outDir, entry.name));
    }
  }
  return found;
}

interface CompileCli {
  targets: Target[];
  outDir: string;
  dryRun: boolean;
}

function parseCli(argv: string[]): CompileCli {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string", multiple: true },
      out: { type: "string" },
      "dry-run": { type: "boolean" },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    targets: values.target?.map(parseTarget) ?? [...TARGETS],
    outDir: values.out ?? "dist",
    dryRun: values["dry-run"] ?? false,
  };
}

/** Runs the compile task; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let cli: CompileCli;
  try {
    cli = parseCli(argv);
  } catch (error) {
    console.error(`compile: ${(error as Error).message}`);
    return 2;
  }
  const denortBin = Deno.env.get("DENORT_BIN") || undefined;
  if (denortBin !== undefined && cli.targets.length !== 1) {
    console.error(
      "compile: DENORT_BIN is the runtime of one target; pass exactly one --target with it",
    );
    return 2;
  }
  if (Deno.version.deno !== DENO_VERSION) {
    console.error(
      `compile: warning: this is Deno ${Deno.version.deno}; the binaries embed its runtime, not ${DENO_VERSION}`,
    );
  }
  if (!cli.dryRun) await Deno.mkdir(resolve(REPO_ROOT, cli.outDir), { recursive: true });
  const deno = Deno.execPath();
  for (const target of cli.targets) {
    const args = compileArgs(target, GRIDMON_VERSION, cli.outDir);
    console.error(`$ deno ${args.join(" ")}`);
    if (cli.dryRun) continue;
    const output = await new Deno.Command(deno, {
      args,
      cwd: REPO_ROOT,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    await Deno.stderr.write(output.stderr);
    if (!output.success) {
      console.error(`\ncompile: ${explainFailure(target, stderr, denortBin)}`);
      return 1;
    }
  }
  if (cli.dryRun) return 0;
  const outDir = resolve(REPO_ROOT, cli.outDir);
  const sums = await sha256Sums(await gridmonArtifacts(outDir, GRIDMON_VERSION));
  await Deno.writeTextFile(join(outDir, "SHA256SUMS"), sums);
  console.error(`compile: wrote ${join(cli.outDir, "SHA256SUMS")}:\n${sums}`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
