/**
 * The export thread: runs the ExportPipeline (encoding, disk queues, HTTP) off the master's
 * main thread, so neither encoding nor a slow or absent database ever holds up ingest.
 * Messages are described by ExportMessage (from the master) and ExportReply (to it).
 */
/// <reference lib="deno.worker" />
import { ExportPipeline } from "./export_pipeline.ts";
import type { ExportMessage, ExportReply } from "./exporter.ts";

let pipeline: ExportPipeline | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;

function reply(message: ExportReply): void {
  self.postMessage(message);
}

function sendStats(): void {
  if (pipeline) reply({ type: "stats", stats: pipeline.stats() });
}

self.onmessage = async (event: MessageEvent<ExportMessage>) => {
  const message = event.data;
  try {
    switch (message.type) {
      case "open":
        pipeline = await ExportPipeline.open(
          message.settings,
          (line) => reply({ type: "log", line }),
        );
        statsTimer = setInterval(sendStats, message.statsEveryMs);
        sendStats();
        reply({ type: "opened" });
        break;
      case "data":
        pipeline?.add(message.defs, message.data, message.events);
        reply({ type: "accepted", rows: message.rows });
        break;
      case "close":
        clearInterval(statsTimer);
        await pipeline?.close(message.graceMs);
        sendStats();
        reply({ type: "closed" });
        break;
    }
  } catch (error) {
    reply({ type: "failed", error: error instanceof Error ? error.message : String(error) });
  }
};
