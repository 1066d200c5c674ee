/** What `deno compile` embeds comes from the module graph: every mode and every UI asset. */
import assert from "node:assert/strict";
import { relative } from "node:path";

const REPO = new URL("../../", import.meta.url);

interface GraphModule {
  specifier: string;
  error?: string;
}

async function moduleGraph(): Promise<GraphModule[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout)).modules;
}

async function staticFiles(dir = new URL("static/", REPO)): Promise<URL[]> {
  const files: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
    if (entry.isDirectory) files.push(...await staticFiles(url));
    else if (/\.(js|css|html)$/.test(entry.name)) files.push(url);
  }
  return files;
}

Deno.test("every mode main.ts imports lazily is in the module graph and resolves", async () => {
  const source = await Deno.readTextFile(new URL("main.ts", REPO));
  const lazy = [...source.matchAll(/import\("(\.\/[^"]+)"\)/g)].map((m) => new URL(m[1], REPO));
  assert.ok(lazy.length >= 5, "master, worker, simulate, score and the service commands");
  const modules = new Map((await moduleGraph()).map((m) => [m.specifier, m]));
  for (const url of lazy) {
    const module = modules.get(url.href);
    assert.ok(module, `${url.pathname} is in the graph`);
    assert.equal(module.error, undefined, `${url.pathname}: ${module.error}`);
  }
});

Deno.test("every UI file under static/ and uPlot's CSS are in the module graph (text imports)", async () => {
  const specifiers = new Set((await moduleGraph()).map((m) => m.specifier));
  const files = await staticFiles();
  assert.ok(files.length > 0);
  for (const file of files) {
    assert.ok(specifiers.has(file.href), `${relative(REPO.pathname, file.pathname)} is imported`);
  }
  // uPlot's code comes bundled in static/gen/vendor.js (a file under static/), its CSS from npm.
  assert.ok([...specifiers].some((s) => s.startsWith("npm:") && s.endsWith("uPlot.min.css")));
});
