/**
 * A minimal master speaking the worker protocol, for the simulator's tests: it checks the token,
 * validates every frame with src/protocol, keeps samples by (machine, seq), answers `welcome`
 * with the highest contiguous seq and acks after "committing". It can cut connections to test
 * replay.
 */
import type { Hello } from "../../src/protocol/messages.ts";
import type { Sample } from "../../src/protocol/sample.ts";
import { parseWorkerFrame } from "../../src/protocol/validate.ts";

export interface FakeMachine {
  hello: Hello;
  samples: Map<number, Sample>;
  /** Highest seq such that every seq from the first one up to it is stored. */
  lastSeq: number;
  duplicates: number;
  connections: number;
}

export interface FakeMasterOptions {
  token: string;
  /** Drop a connection (without storing or acking) on every Nth samples frame it sends. */
  cutEveryFrames?: number;
}

export interface FakeMaster {
  url: string;
  machines: Map<string, FakeMachine>;
  /** Frames that failed validation (should stay empty). */
  invalid: string[];
  refused: number;
  close(): Promise<void>;
}

/** Starts a fake master on a random port. */
export function startFakeMaster(options: FakeMasterOptions): FakeMaster {
  const machines = new Map<string, FakeMachine>();
  const invalid: string[] = [];
  const sockets = new Set<WebSocket>();
  const state = { refused: 0 };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    if (new URL(request.url).pathname !== "/ws/worker") {
      return new Response("not found", { status: 404 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    sockets.add(socket);
    let machine: FakeMachine | undefined;
    let frames = 0;
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (event) => {
      const parsed = parseWorkerFrame(event.data);
      if (!parsed.ok) {
        invalid.push(parsed.reason);
        socket.close(4002, parsed.reason);
        return;
      }
      const frame = parsed.frame;
      if (frame.type === "hello") {
        if (frame.token !== options.token) {
          state.refused++;
          socket.close(4001, "unauthorized");
          return;
        }
        machine = machines.get(frame.machineId);
        if (!machine) {
          machine = {
            hello: frame,
            samples: new Map(),
            lastSeq: -1,
            duplicates: 0,
            connections: 0,
          };
          machines.set(frame.machineId, machine);
        }
        machine.connections++;
        socket.send(JSON.stringify({
          type: "welcome",
          v: 1,
          machineId: frame.machineId,
          name: frame.hostname,
          lastSeq: machine.lastSeq,
        }));
        return;
      }
      if (!machine) {
        socket.close(4002, "samples before hello");
        return;
      }
      frames++;
      if (options.cutEveryFrames && frames % options.cutEveryFrames === 0) {
        socket.close(1011, "cut by test");
        return;
      }
      for (const sample of frame.samples) {
        if (sample.machineId !== machine.hello.machineId) invalid.push("sample of another machine");
        if (machine.samples.has(sample.seq)) machine.duplicates++;
        machine.samples.set(sample.seq, sample);
      }
      while (machine.samples.has(machine.lastSeq + 1)) machine.lastSeq++;
      if (machine.lastSeq === -1 && machine.samples.size > 0) {
        // the first run of this machine: its seqs start at 0
        invalid.push("first sample seq is not 0");
      }
      socket.send(JSON.stringify({ type: "ack", v: 1, seq: machine.lastSeq }));
    };
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws/worker`,
    machines,
    invalid,
    get refused() {
      return state.refused;
    },
    async close() {
      for (const s of sockets) s.close(1001, "going away");
      await server.shutdown();
    },
  };
}
