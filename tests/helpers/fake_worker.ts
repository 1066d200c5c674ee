import { PROTOCOL_VERSION } from "../../src/protocol/version.ts";

/** A minimal worker speaking the real protocol, for hostnames the simulator would not choose. */
export async function startFakeWorker(
  master: { port: number; joinToken: string },
  /**
   * `cpu`: the CPU usage every sample reports (default: 20-26 %); `samples`: how many it sends,
   * one a second, before it falls silent with its connection open (default: until stopped).
   */
  opts: {
    machineId: string;
    hostname: string;
    samples?: number;
    cpu?: number;
    /** Watched process names and how many run, reported in every sample as after a scan. */
    watched?: { name: string; count: number }[];
  },
): Promise<{ stop: () => void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${master.port}/ws/worker`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("fake worker could not connect"));
  });
  const welcome = new Promise<void>((resolve) => {
    ws.onmessage = (e) => {
      if (JSON.parse(String(e.data)).type === "welcome") resolve();
    };
  });
  ws.send(JSON.stringify({
    type: "hello",
    v: PROTOCOL_VERSION,
    token: master.joinToken,
    machineId: opts.machineId,
    hostname: opts.hostname,
    os: "linux",
    osName: opts.hostname,
    arch: "x86_64",
    cores: 2,
    memTotal: 4 * 2 ** 30,
    agentVersion: opts.hostname,
    intervalMs: 1000,
  }));
  await welcome;
  let seq = 0;
  const sample = () => ({
    ts: Date.now(),
    seq: seq++,
    machineId: opts.machineId,
    hostname: opts.hostname,
    cpu: { usage: opts.cpu ?? 20 + (seq % 7), user: 15, system: 5, cores: [20, 25] },
    mem: {
      total: 4 * 2 ** 30,
      used: 2 ** 30,
      available: 3 * 2 ** 30,
      usedPct: 25,
      swapTotal: 0,
      swapUsed: 0,
    },
    disks: [{
      name: opts.hostname,
      readBps: 1000,
      writeBps: 2000,
      readIops: 1,
      writeIops: 2,
      utilPct: 1,
    }],
    net: [{
      iface: opts.hostname,
      rxBps: 1000,
      txBps: 1000,
      rxPps: 1,
      txPps: 1,
      rxErrors: 0,
      txErrors: 0,
    }],
    uptime: 1000 + seq,
    ...(opts.watched
      ? {
        processes: {
          spanMs: 1000,
          top: [],
          watched: opts.watched.map((w, i) => ({
            name: w.name,
            count: w.count,
            cpu: w.count ? 2 : 0,
            rss: w.count ? 50 * 2 ** 20 : 0,
            readBps: 0,
            writeBps: 0,
            pids: Array.from({ length: w.count }, (_, k) => 100 * (i + 1) + k),
          })),
        },
      }
      : {}),
  });
  const send = () => {
    if (opts.samples !== undefined && seq >= opts.samples) return clearInterval(timer);
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "samples", v: PROTOCOL_VERSION, samples: [sample()] }));
    }
  };
  const timer = setInterval(send, 1000);
  send();
  return {
    stop() {
      clearInterval(timer);
      ws.close();
    },
  };
}
