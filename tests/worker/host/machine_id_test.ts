import assert from "node:assert/strict";
import { parseMachineId, readMachineId } from "../../../src/worker/host/machine_id.ts";
import { osName, parseOsRelease } from "../../../src/worker/host/os_release.ts";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readMachineId() prefers the first valid system file", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/etc-machine-id`, "uninitialized\n");
    await Deno.writeTextFile(`${dir}/dbus-machine-id`, "0123456789ABCDEF0123456789abcdef\n");
    const id = await readMachineId({
      systemFiles: [`${dir}/missing`, `${dir}/etc-machine-id`, `${dir}/dbus-machine-id`],
      stateDir: `${dir}/state`,
    });
    assert.equal(id, "0123456789abcdef0123456789abcdef");
    await assert.rejects(Deno.stat(`${dir}/state`), Deno.errors.NotFound);
  }));

Deno.test("readMachineId() generates an id once and keeps it in the state dir", () =>
  withTempDir(async (dir) => {
    const sources = { systemFiles: [`${dir}/none`], stateDir: `${dir}/state/nested` };
    const first = await readMachineId(sources);
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(await readMachineId(sources), first);
    assert.equal((await Deno.readTextFile(`${dir}/state/nested/machine-id`)).trim(), first);
    const leftovers = [...Deno.readDirSync(`${dir}/state/nested`)].map((e) => e.name);
    assert.deepEqual(leftovers, ["machine-id"]);
  }));

Deno.test("readMachineId() refuses a damaged kept id instead of silently changing identity", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/machine-id`, "garbage");
    await assert.rejects(
      readMachineId({ systemFiles: [], stateDir: dir }),
      (e) =>
        e instanceof RangeError &&
        /Cannot use .*machine-id: "garbage" is not a machine id/.test(e.message),
    );
  }));

Deno.test("parseMachineId() accepts 32 hex digits or a UUID, nothing else", () => {
  assert.equal(
    parseMachineId(" 3d1219c7c4c5404aaa1f6d2a48adfda4\n"),
    "3d1219c7c4c5404aaa1f6d2a48adfda4",
  );
  assert.equal(parseMachineId(""), undefined);
  assert.equal(parseMachineId("uninitialized"), undefined);
  assert.equal(parseMachineId("3d1219c7c4c5404aaa1f6d2a48adfda"), undefined);
});

Deno.test("parseOsRelease() unquotes values and osName() prefers PRETTY_NAME", () => {
  const fields = parseOsRelease(
    '# comment\nNAME="Debian GNU/Linux"\nVERSION=\'12 (bookworm)\'\nPRETTY_NAME="Debian \\"x\\" 12"\nID=debian\nnot a line\n',
  );
  assert.equal(fields.get("ID"), "debian");
  assert.equal(osName(fields), 'Debian "x" 12');
  fields.delete("PRETTY_NAME");
  assert.equal(osName(fields), "Debian GNU/Linux 12 (bookworm)");
  assert.equal(osName(new Map()), undefined);
});
