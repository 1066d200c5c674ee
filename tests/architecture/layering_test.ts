/**
 * Imports run one way: the command line (src/cli/) parses flags into configurations for the
 * domain code, which never imports it back; only the entry point of each mode (`main.ts`) ties
 * the two together. src/protocol/ and src/units/ are shared by everything, browser included, and
 * import only each other.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The mode entry points: the only files outside src/cli/ that may import it. */
const ENTRY_POINTS = new Set([
  "src/master/main.ts",
  "src/worker/main.ts",
  "src/simulate/main.ts",
  "src/service/main.ts",
  "src/detect/score_main.ts",
]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".generated.js")) out.push(path);
  }
  return out;
}

/** Relative imports of a file, as paths from the repository root. */
function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(join(ROOT, file));
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) =>
    m[1]
  );
  return specifiers.map((s) => relative(ROOT, join(ROOT, dirname(file), s)));
}

Deno.test("domain code does not import the command line; only mode entry points do", () => {
  const offenders = sourceFiles("src")
    .filter((f) => !f.startsWith("src/cli/") && !ENTRY_POINTS.has(f))
    .flatMap((f) =>
      importsOf(f).filter((i) => i.startsWith("src/cli/")).map((i) => `${f} -> ${i}`)
    );
  assert.deepEqual(offenders, []);
});

Deno.test("src/protocol/ and src/units/ import only each other", () => {
  const offenders = [...sourceFiles("src/protocol"), ...sourceFiles("src/units")]
    .flatMap((f) =>
      importsOf(f)
        .filter((i) => !i.startsWith("src/protocol/") && !i.startsWith("src/units/"))
        .map((i) => `${f} -> ${i}`)
    );
  assert.deepEqual(offenders, []);
});
