import assert from "node:assert/strict";
import { generateToken, loadOrCreateToken, tokensEqual } from "../../src/master/tokens.ts";

Deno.test("generateToken() makes distinct 43-character base64url tokens", () => {
  const a = generateToken();
  const b = generateToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
});

Deno.test("loadOrCreateToken() creates the file with mode 0600 once and then keeps it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    const first = await loadOrCreateToken(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await loadOrCreateToken(path), first);
    const given = await loadOrCreateToken(path, "given-token-123");
    assert.equal(given, "given-token-123");
    assert.equal(await loadOrCreateToken(path), "given-token-123", "a given token is kept");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadOrCreateToken() refuses a token file that is too short", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/token`, "abc\n");
    await assert.rejects(loadOrCreateToken(`${dir}/token`), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tokensEqual() is true only for the same token, whatever the lengths", () => {
  assert.equal(tokensEqual("secret-token", "secret-token"), true);
  assert.equal(tokensEqual("secret-tokeN", "secret-token"), false);
  assert.equal(tokensEqual("secret", "secret-token"), false);
  assert.equal(tokensEqual("", "secret-token"), false);
  assert.equal(tokensEqual("x".repeat(10_000), "secret-token"), false);
});
