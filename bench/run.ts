/**
 * `deno task bench`: runs every bench/*_bench.ts in turn (or those named on the command line,
 * e.g. `deno task bench isolation_forest`), each in its own process, each printing its own table.
 */
const here = new URL(".", import.meta.url);
const wanted = Deno.args;
const files: string[] = [];
for await (const entry of Deno.readDir(here)) {
  if (!entry.isFile || !entry.name.endsWith("_bench.ts")) continue;
  const name = entry.name.replace(/_bench\.ts$/, "");
  if (wanted.length === 0 || wanted.includes(name)) files.push(entry.name);
}
files.sort();
if (files.length === 0) {
  console.error(`bench: nothing matches ${wanted.join(", ")}`);
  Deno.exit(2);
}
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(file, here).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`bench: ${file} exited with ${code}`);
    failed++;
  }
}
Deno.exit(failed === 0 ? 0 : 1);
