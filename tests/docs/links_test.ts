/**
 * No document points at a file the repository does not hold: every relative Markdown link (and
 * image) resolves from its document, and every repository path a document quotes in backticks
 * (`src/protocol/catalogue.ts`, `docs/api.md`) exists.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function trackedMarkdown(): Promise<string[]> {
  const { stdout } = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(join(ROOT, path));
    return true;
  } catch {
    return false;
  }
}

/** Relative link targets of a Markdown text (fragments dropped), outside code blocks. */
export function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1].split("#")[0])
    .filter((t) => t !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Repository paths quoted in backticks: a top-level folder of the repository, then a file. */
export function quotedPaths(markdown: string, topLevel: Set<string>): string[] {
  return [...markdown.matchAll(/`([\w.-]+\/[\w./-]*\.(?:md|ts|js|json|yaml|sh|css|html))`/g)]
    .map((m) => m[1])
    .filter((p) => topLevel.has(p.split("/")[0]) && !p.includes("*"));
}

Deno.test("the link helpers find links and quoted paths, and skip URLs, anchors and code", () => {
  const text = "[a](docs/a.md#x) ![b](b.png) [c](https://x.org) [d](#top) `src/x.ts`\n" +
    "```sh\n[e](nope.md)\n```\n`data/x.ts` `src/*.ts`";
  assert.deepEqual(linkTargets(text), ["docs/a.md", "b.png"]);
  assert.deepEqual(quotedPaths(text, new Set(["src"])), ["src/x.ts"]);
});

Deno.test("every link and quoted path in the repository's documents points at a file it holds", async () => {
  const topLevel = new Set([...Deno.readDirSync(ROOT)].map((e) => e.name));
  const missing: string[] = [];
  const files = await trackedMarkdown();
  assert.ok(files.includes("README.md") && files.includes("docs/design.md"));
  for (const file of files) {
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const target of linkTargets(text)) {
      const path = normalize(join(dirname(file), decodeURIComponent(target)));
      if (!exists(path)) missing.push(`${file}: link to ${target}`);
    }
    for (const path of quotedPaths(text, topLevel)) {
      if (!exists(path)) missing.push(`${file}: \`${path}\``);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("the README links to docs/design.md", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert.ok(linkTargets(readme).includes("docs/design.md"));
});
