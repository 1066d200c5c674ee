/**
 * The master's side of the export: takes rows right after a flush committed them (and anomaly
 * events), turns each into numbers (series_groups.ts: one pass over its values, counters
 * integrated) and hands them in chunks to the export thread (export_worker.ts), which encodes,
 * queues on disk and sends. So ingest never waits on encoding, disks or the remote databases,
 * and the hand-over moves a Float64Array's buffer instead of copying sample objects. Memory is
 * bounded: when the export thread is more than `maxInFlightRows` behind, new rows are dropped,
 * counted, and logged once per episode.
 */
import type { AnomalyEvent } from "../store/store_types.ts";
import type { CommittedRow } from "../ingest_hub.ts";
import type { ExportEvent, ExportSettings } from "./export_pipeline.ts";
import type { GroupDef } from "./series_groups.ts";
import type { RemoteStats } from "./remote_sender.ts";
import { type Label, RowBuffer, SeriesGroups } from "./series_groups.ts";

export type ExportMessage =
  | { type: "open"; settings: ExportSettings; statsEveryMs: number }
  | { type: "data"; defs: GroupDef[]; data: Float64Array; rows: number; events: ExportEvent[] }
  | { type: "close"; graceMs: number };

export type ExportReply =
  | { type: "opened" }
  | { type: "failed"; error: string }
  | { type: "accepted"; rows: number }
  | { type: "stats"; stats: RemoteStats[] }
  | { type: "log"; line: string }
  | { type: "closed" };

export interface ExporterOptions {
  log: (line: string) => void;
  /** Most rows handed over but not yet taken by the export thread (default 50,000). */
  maxInFlightRows?: number;
  /** How often pending rows are handed over (default 200 ms). */
  handOverEveryMs?: number;
  /** How long close() lets the senders deliver what is queued (default 2 s). */
  closeGraceMs?: number;
}

/** What /metrics shows about the export. */
export interface ExportStats {
  remotes: RemoteStats[];
  /** Rows dropped because the export thread fell too far behind. */
  rowsDropped: number;
  /** Rows handed over and not yet taken, plus rows waiting to be handed over. */
  rowsPending: number;
}

/** The export thread's module (`deno compile` includes it by this path). */
export const EXPORT_WORKER_URL = new URL("./export_worker.ts", import.meta.url);

export class Exporter {
  readonly #worker: Worker;
  readonly #opts: Required<ExporterOptions>;
  readonly #groups: SeriesGroups;
  readonly #buffer = new RowBuffer();
  #rows = 0;
  #events: ExportEvent[] = [];
  #inFlight = 0;
  #dropping = false;
  #rowsDropped = 0;
  #remotes: RemoteStats[] = [];
  #timer: ReturnType<typeof setInterval>;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  readonly #openEvents = new Set<number>();

  private constructor(worker: Worker, labels: readonly Label[], options: ExporterOptions) {
    this.#worker = worker;
    this.#groups = new SeriesGroups(labels);
    this.#opts = {
      maxInFlightRows: 50_000,
      handOverEveryMs: 200,
      closeGraceMs: 2000,
      ...options,
    };
    this.#timer = setInterval(() => this.#handOver(), this.#opts.handOverEveryMs);
  }

  /** Starts the export thread; rejects when a queue directory cannot be opened. */
  static start(settings: ExportSettings, options: ExporterOptions): Promise<Exporter> {
    const worker = new Worker(EXPORT_WORKER_URL.href, {
      type: "module",
    });
    return new Promise((resolve, reject) => {
      let exporter: Exporter | undefined;
      worker.onerror = (event) => {
        event.preventDefault();
        const error = new Error(`export thread failed: ${event.message}`);
        if (!exporter) {
          worker.terminate();
          reject(error);
        } else options.log(error.message);
      };
      worker.onmessage = (event: MessageEvent<ExportReply>) => {
        const reply = event.data;
        if (reply.type === "opened") {
          exporter = new Exporter(worker, settings.labels, options);
          worker.onmessage = (e: MessageEvent<ExportReply>) => exporter!.#receive(e.data);
          resolve(exporter);
        } else if (reply.type === "failed") {
          worker.terminate();
          reject(new Error(reply.error));
        } else if (reply.type === "log") options.log(reply.line);
        else if (reply.type === "stats" && exporter) exporter.#receive(reply);
      };
      worker.postMessage({ type: "open", settings, statsEveryMs: 1000 } satisfies ExportMessage);
    });
  }

  #receive(reply: ExportReply): void {
    switch (reply.type) {
      case "accepted":
        this.#inFlight -= reply.rows;
        break;
      case "stats":
        this.#remotes = reply.stats;
        break;
      case "log":
        this.#opts.log(reply.line);
        break;
      case "failed":
        this.#opts.log(`export: ${reply.error}`);
        break;
      case "closed":
        this.#onClosed?.();
        break;
    }
  }

  /** Takes committed rows (call right after the flush that committed them). */
  committed(rows: readonly CommittedRow[], nameOf: (machineId: string) => string): void {
    if (this.#closed) return;
    const room = this.#opts.maxInFlightRows - this.#inFlight - this.#rows;
    if (rows.length > room) {
      this.#rowsDropped += rows.length;
      if (!this.#dropping) {
        this.#dropping = true;
        this.#opts.log(
          `export: the export thread is ${this.#inFlight} rows behind; dropping new rows until it catches up`,
        );
      }
      return;
    }
    this.#dropping = false;
    const buffer = this.#buffer;
    for (const row of rows) {
      // A replay the store already had was exported when it was first stored.
      if (row.duplicate) continue;
      const ts = row.sample.ts;
      this.#groups.forEachGroup({
        machine: row.machineId,
        name: nameOf(row.machineId),
        sample: row.sample,
        score: row.verdict.score,
        anomalous: row.verdict.anomalous,
      }, (group) => buffer.write(group, ts));
    }
    this.#rows += rows.length;
  }

  /** Takes an anomaly event as the detector reports it (opened, updated or closed). */
  anomaly(event: AnomalyEvent, name: string): void {
    if (this.#closed) return;
    const base = {
      machine: event.machineId,
      name,
      peakScore: event.peakScore,
      cause: event.reason,
    };
    if (event.end === null) {
      if (this.#openEvents.has(event.id)) return;
      this.#openEvents.add(event.id);
      this.#events.push({ ...base, ts: event.start, open: true });
    } else {
      this.#openEvents.delete(event.id);
      this.#events.push({ ...base, ts: event.end, open: false });
    }
  }

  stats(): ExportStats {
    return {
      remotes: this.#remotes,
      rowsDropped: this.#rowsDropped,
      rowsPending: this.#inFlight + this.#rows,
    };
  }

  #handOver(): void {
    if (this.#rows === 0 && this.#events.length === 0) return;
    const message: ExportMessage = {
      type: "data",
      defs: this.#groups.takeNewGroups(),
      data: this.#buffer.take(),
      rows: this.#rows,
      events: this.#events,
    };
    this.#inFlight += this.#rows;
    this.#rows = 0;
    this.#events = [];
    this.#worker.postMessage(message, [message.data.buffer as ArrayBuffer]);
  }

  /** Hands over what is pending, lets the thread queue it on disk and send for a moment, stops it. */
  close(): Promise<void> {
    return this.#closed ??= (async () => {
      clearInterval(this.#timer);
      this.#handOver();
      const closed = new Promise<void>((resolve) => (this.#onClosed = resolve));
      this.#worker.postMessage(
        { type: "close", graceMs: this.#opts.closeGraceMs } satisfies ExportMessage,
      );
      let timeout: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        closed,
        new Promise((r) => (timeout = setTimeout(r, this.#opts.closeGraceMs + 5000))),
      ]);
      clearTimeout(timeout);
      this.#worker.terminate();
    })();
  }
}
