import assert from "node:assert/strict";
import { staleFiles } from "../../scripts/gen.ts";

Deno.test("the checked-in generated files are what deno task gen makes from the sources", async () => {
  assert.deepEqual(await staleFiles(), [], "run: deno task gen");
});
