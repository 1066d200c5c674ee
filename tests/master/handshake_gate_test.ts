import assert from "node:assert/strict";
import { HandshakeGate, isLoopback } from "../../src/master/handshake_gate.ts";

function pending(address: string, name: string, evicted: string[]) {
  return { address, evict: () => evicted.push(name) };
}

Deno.test("a full table makes room by closing the oldest idle connection of the largest holder", () => {
  const evicted: string[] = [];
  const gate = new HandshakeGate({ maxPending: 4, maxPerAddress: 10 });
  for (let i = 0; i < 3; i++) gate.admit(pending("10.0.0.66", `flood-${i}`, evicted));
  gate.admit(pending("10.0.0.7", "other", evicted));
  // The flooder cannot push out anyone else, nor churn its own sockets to stay young.
  assert.equal(gate.admit(pending("10.0.0.66", "flood-3", evicted)), "busy");
  const ticket = gate.admit(pending("10.0.0.8", "worker", evicted));
  assert.notEqual(ticket, "busy");
  assert.deepEqual(evicted, ["flood-0"]);
  assert.equal(gate.pending, 4);
  assert.equal(gate.evicted, 1);
  // An address holding as many as the largest holder is not let in at the cap.
  const second = new HandshakeGate({ maxPending: 2, maxPerAddress: 10 });
  second.admit(pending("a", "a0", evicted));
  second.admit(pending("b", "b0", evicted));
  assert.equal(second.admit(pending("a", "a1", evicted)), "busy");
  (ticket as { settle(): void }).settle();
  (ticket as { settle(): void }).settle(); // twice is once
  assert.equal(gate.pending, 3);
});

Deno.test("one address may hold maxPerAddress waiting connections", () => {
  const gate = new HandshakeGate({ maxPending: 100, maxPerAddress: 2 });
  const a = gate.admit(pending("10.0.0.66", "a", []));
  gate.admit(pending("10.0.0.66", "b", []));
  assert.equal(gate.admit(pending("10.0.0.66", "c", [])), "busy");
  assert.notEqual(gate.admit(pending("10.0.0.9", "d", [])), "busy");
  (a as { settle(): void }).settle();
  assert.notEqual(gate.admit(pending("10.0.0.66", "e", [])), "busy");
});

Deno.test("loopback addresses have no cap of their own, only the table's", () => {
  const gate = new HandshakeGate({ maxPending: 5, maxPerAddress: 1 });
  for (let i = 0; i < 5; i++) assert.notEqual(gate.admit(pending("127.0.0.1", `${i}`, [])), "busy");
  assert.equal(gate.admit(pending("127.0.0.1", "5", [])), "busy");
  assert.equal(isLoopback("::1"), true);
  assert.equal(isLoopback("::ffff:127.0.0.1"), true);
  assert.equal(isLoopback("10.1.2.3"), false);
});
