/**
 * Child process for crash_test.ts: opens the store given as argument, writes 25 batches of 40
 * rows (machines a and b, 1 s apart), prints "committed <n>" after each, then waits to be
 * killed. It never closes the store.
 */
import { openStore } from "../../../src/master/store/sqlite_store.ts";
import { RETENTION, rowOf, simpleSample } from "./store_fixtures.ts";

const [path, t0Text] = Deno.args;
const t0 = Number(t0Text);
let clock = t0;
const store = openStore({ path, retention: RETENTION, now: () => clock });
let seq = 0;
for (let batch = 0; batch < 25; batch++) {
  const rows = [];
  for (let i = 0; i < 20; i++, seq++) {
    for (const id of ["a", "b"]) rows.push(rowOf(simpleSample(id, t0 + seq * 1000, seq, seq), 0.5));
  }
  clock = t0 + seq * 1000;
  store.write(rows);
  console.log(`committed ${seq}`);
}
await new Promise(() => {});
