import assert from "node:assert/strict";
import { join } from "node:path";
import { fileRevokedSessions } from "../../src/master/revoked_sessions.ts";

const DAY = 86_400_000;

Deno.test("revoked sessions are read back, expired and malformed lines dropped, file kept 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_revoked_" });
  const path = join(dir, "revoked-sessions");
  try {
    const first = fileRevokedSessions(path, { maxAgeMs: 30 * DAY, now: 40 * DAY });
    first.add("aa11", 5 * DAY); // expired by the next load
    first.add("bb22", 39 * DAY);
    first.add("not-hex!", 39 * DAY); // never written
    assert.ok(first.has("aa11") && first.has("bb22") && !first.has("not-hex!"));
    await Deno.writeTextFile(path, "12 half-writ", { append: true }); // a crash mid-line
    const second = fileRevokedSessions(path, { maxAgeMs: 30 * DAY, now: 40 * DAY });
    assert.equal(second.has("aa11"), false);
    assert.equal(second.has("bb22"), true);
    assert.equal(await Deno.readTextFile(path), `${39 * DAY} bb22\n`);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing file is an empty list", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_revoked_" });
  try {
    const list = fileRevokedSessions(join(dir, "none"), { maxAgeMs: DAY, now: 0 });
    assert.equal(list.has("aa"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
