/**
 * `deno task gen [--check]`: writes the files generated from the project's own sources, or with
 * --check says which are stale (exit 1). tests/protocol/generated_test.ts runs the same check.
 *
 * - src/protocol/frame_checks.generated.js: the ingest hot path's frame validation, compiled
 *   from the zod schemas in src/protocol/messages.ts (gen_frame_checks.ts).
 */
import { fileURLToPath } from "node:url";
import { frameChecksSource } from "./gen_frame_checks.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A generated file: its path from the repository root and how to produce its text. */
export interface Generated {
  path: string;
  make: () => string | Promise<string>;
}

export const GENERATED: readonly Generated[] = [
  { path: "src/protocol/frame_checks.generated.js", make: frameChecksSource },
];

/** The generated files whose text on disk differs from what the sources produce now. */
export async function staleFiles(root = ROOT): Promise<string[]> {
  const stale: string[] = [];
  for (const file of GENERATED) {
    const current = await Deno.readTextFile(`${root}/${file.path}`).catch(() => null);
    if (current !== await file.make()) stale.push(file.path);
  }
  return stale;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const stale = await staleFiles();
    for (const path of stale) console.error(`${path} is stale: run deno task gen`);
    Deno.exit(stale.length > 0 ? 1 : 0);
  }
  for (const file of GENERATED) {
    await Deno.writeTextFile(`${ROOT}/${file.path}`, await file.make());
    console.log(`wrote ${file.path}`);
  }
}
