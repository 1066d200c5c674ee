import assert from "node:assert/strict";
import { createKeptFiles, keptFileBudget } from "../../../src/worker/collectors/kept_files.ts";

function stateOf(stat: string): string {
  return stat.slice(stat.lastIndexOf(") ") + 2, stat.lastIndexOf(") ") + 3);
}

Deno.test({
  name: "a kept procfs file shows the process as it is now, and fails once the process is gone",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const files = createKeptFiles(8);
    const path = `/proc/${child.pid}/stat`;
    try {
      assert.notEqual(stateOf(files.read("child", path)), "T");
      assert.equal(files.size, 1);
      Deno.kill(child.pid, "SIGSTOP");
      let state = "";
      for (let i = 0; i < 200 && state !== "T"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        state = stateOf(files.read("child", path)); // re-read from the start: regenerated
      }
      assert.equal(state, "T");
      assert.equal(files.size, 1);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    assert.throws(() => files.read("child", path), Deno.errors.NotFound);
    assert.equal(files.size, 0, "the dead process's file was closed");
  },
});

Deno.test("kept files stay under their cap, and retainOnly() closes the others", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const long = "x".repeat(10_000);
    for (const name of ["a", "b", "c"]) Deno.writeTextFileSync(`${dir}/${name}`, `${name}:${long}`);
    const files = createKeptFiles(2);
    for (const name of ["a", "b", "c", "a", "b", "c"]) {
      assert.equal(files.read(name, `${dir}/${name}`), `${name}:${long}`);
    }
    assert.equal(files.size, 2);
    files.retainOnly(new Set(["b", "c"]));
    assert.equal(files.size, 1);
    files.closeAll();
    assert.equal(files.size, 0);
    assert.throws(() => files.read("d", `${dir}/d`), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("keptFileBudget() takes a quarter of the soft open-files limit, within bounds", () => {
  const limits = Deno.build.os === "linux" ? Deno.readTextFileSync("/proc/self/limits") : "";
  const soft = /^Max open files\s+(\d+)/m.exec(limits);
  if (soft) assert.equal(keptFileBudget(limits), Math.min(4096, Math.floor(Number(soft[1]) / 4)));
  const line = (soft: string) => `Max open files            ${soft}       524288       files\n`;
  assert.equal(keptFileBudget(line("1024")), 256);
  assert.equal(keptFileBudget(line("1048576")), 4096);
  assert.equal(keptFileBudget(line("unlimited")), 256);
  assert.equal(keptFileBudget(undefined), 256);
});
