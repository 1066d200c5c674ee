import assert from "node:assert/strict";
import { DeviceBudget } from "../../src/master/device_budget.ts";
import { makeSample } from "./test_master.ts";

function withDisks(names: string[], seq = 0) {
  const sample = makeSample("m", seq);
  return {
    ...sample,
    disks: names.map((name) => ({ ...sample.disks![0], name })),
  };
}

Deno.test("devices over the family budget are left out, counted and logged once", () => {
  const logs: string[] = [];
  const budget = new DeviceBudget((l) => logs.push(l), 3);
  const first = withDisks(["a", "b"]);
  assert.equal(budget.admit("m", first), first, "nothing left out: the same object");
  const flood = budget.admit("m", withDisks(["a", "c", "d", "e", "b"], 1));
  assert.deepEqual(flood.disks!.map((d) => d.name), ["a", "c", "b"]);
  assert.deepEqual(flood.net, first.net, "other families untouched");
  budget.admit("m", withDisks(["f", "g"], 2));
  assert.equal(budget.refused.get("disks"), 4);
  assert.equal(logs.length, 1);
  assert.match(logs[0], /machine "m": more than 3 disks/);
  // Another machine has its own budget.
  assert.deepEqual(budget.admit("n", withDisks(["x", "y", "z"])).disks!.length, 3);
});

Deno.test("seeded names count as the machine's own", () => {
  const budget = new DeviceBudget(() => {}, 2);
  budget.seed("m", withDisks(["a", "b"]));
  assert.deepEqual(budget.admit("m", withDisks(["c", "a"])).disks!.map((d) => d.name), ["a"]);
});
