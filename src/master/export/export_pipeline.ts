/**
 * The export pipeline (run in its own thread by export_worker.ts): committed rows and anomaly
 * events go into one batch per format; every `batchMs` (or sooner when a batch is large) each
 * batch is encoded once and queued on disk for every remote of its format, whose sender then
 * delivers it.
 */
import { join } from "node:path";
import { DiskQueue } from "./disk_queue.ts";
import { LineProtocolBatch } from "./line_protocol.ts";
import { RemoteWriteBatch } from "./remote_write.ts";
import {
  type RemoteKind,
  RemoteSender,
  type RemoteStats,
  type RemoteTarget,
} from "./remote_sender.ts";
import { type GroupDef, GroupTable, type Label, machineLabels } from "./series_groups.ts";
import type { BackoffOptions } from "../../worker/backoff.ts";

/** An anomaly event opening or closing, as the master hands it to the exporter. */
export interface ExportEvent {
  machine: string;
  name: string;
  /** Event start (open) or end (close), ms. */
  ts: number;
  open: boolean;
  peakScore: number;
  /** The metric that contributed most. */
  cause: string;
}

/** 1 from the sample that opened an anomaly event, 0 from the one that closed it. */
export const EVENT_OPEN_METRIC = "gridmon_anomaly_event_open";
/** At an event's close: its peak score, with the metric that contributed most as `cause`. */
export const EVENT_PEAK_METRIC = "gridmon_anomaly_event_peak_score";

export interface ExportSettings {
  remotes: RemoteTarget[];
  /** Labels on every series: `master` and the external labels. */
  labels: Label[];
  /** Directory holding one queue directory per remote. */
  queueRoot: string;
  /** Cap on each remote's queue, in bytes. */
  queueMaxBytes: number;
  /** PEM certificates to trust besides the system's (custom CA). */
  caCerts?: string[];
  /** Most time a row waits for its batch to be queued (default 1 s). */
  batchMs?: number;
  /** A batch is queued at once when it holds this many values (default 200,000). */
  batchPoints?: number;
  backoff?: BackoffOptions;
}

interface Format {
  kind: RemoteKind;
  batch: RemoteWriteBatch | LineProtocolBatch;
  senders: RemoteSender[];
}

async function queueDirName(target: RemoteTarget): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${target.kind} ${target.url}`),
  );
  const hex = [...new Uint8Array(digest).slice(0, 8)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${target.kind}-${hex}`;
}

export class ExportPipeline {
  readonly #settings: ExportSettings;
  readonly #groups = new GroupTable();
  readonly #formats: Format[];
  readonly #client?: Deno.HttpClient;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();
  readonly #log: (line: string) => void;

  private constructor(
    settings: ExportSettings,
    formats: Format[],
    client: Deno.HttpClient | undefined,
    log: (line: string) => void,
  ) {
    this.#settings = settings;
    this.#formats = formats;
    this.#client = client;
    this.#log = log;
  }

  /** Opens every remote's queue (batches a previous run left are sent first) and starts sending. */
  static async open(
    settings: ExportSettings,
    log: (line: string) => void,
  ): Promise<ExportPipeline> {
    const client = settings.caCerts?.length
      ? Deno.createHttpClient({ caCerts: settings.caCerts })
      : undefined;
    const formats: Format[] = [];
    for (const target of settings.remotes) {
      const dir = join(settings.queueRoot, await queueDirName(target));
      const queue = await DiskQueue.open(dir, settings.queueMaxBytes);
      if (queue.batches > 0) {
        log(
          `remote ${target.display}: ${queue.batches} batches (${queue.points} values) queued by an earlier run`,
        );
      }
      const sender = new RemoteSender(target, queue, { log, client, backoff: settings.backoff });
      let format = formats.find((f) => f.kind === target.kind);
      if (!format) {
        const batch = target.kind === "remote-write"
          ? new RemoteWriteBatch()
          : new LineProtocolBatch();
        formats.push(format = { kind: target.kind, batch, senders: [] });
      }
      format.senders.push(sender);
      sender.start();
    }
    return new ExportPipeline(settings, formats, client, log);
  }

  /**
   * Adds committed rows (records of a RowBuffer, with the groups first seen in them) and
   * anomaly events; schedules or starts the next flush.
   */
  add(defs: readonly GroupDef[], data: Float64Array, events: readonly ExportEvent[]): void {
    this.#groups.define(defs);
    this.#groups.forEachRecord(data, (group, ts) => {
      for (const f of this.#formats) f.batch.addGroup(group, ts);
    });
    for (const e of events) {
      const labels = machineLabels(this.#settings.labels, e.machine, e.name);
      for (const f of this.#formats) {
        f.batch.addPoint(labels, EVENT_OPEN_METRIC, e.ts, e.open ? 1 : 0);
        if (!e.open) {
          const withCause: Label[] = [...labels, ["cause", e.cause]];
          withCause.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
          f.batch.addPoint(withCause, EVENT_PEAK_METRIC, e.ts, e.peakScore);
        }
      }
    }
    const points = this.#formats[0]?.batch.points ?? 0;
    if (points >= (this.#settings.batchPoints ?? 200_000)) this.flush();
    else if (points > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#settings.batchMs ?? 1000);
    }
  }

  /** Encodes the pending batches and queues them on disk for every remote. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ready = this.#formats.filter((f) => f.batch.points > 0).map((f) => {
      const points = f.batch.points;
      return { f, points, body: f.batch.encode() };
    });
    this.#flushing = this.#flushing.then(async () => {
      for (const { f, points, body } of ready) {
        for (const sender of f.senders) {
          try {
            await sender.queue.push(body, points);
            sender.wake();
          } catch (error) {
            sender.droppedDiskError += points;
            this.#log(
              `remote ${sender.target.display}: cannot queue ${points} values on disk (${
                String(error)
              }); dropped`,
            );
          }
        }
      }
    });
    return this.#flushing;
  }

  stats(): RemoteStats[] {
    return this.#formats.flatMap((f) => f.senders.map((s) => s.stats()));
  }

  /** Queues what is pending, lets the senders try for up to `graceMs`, then stops them. */
  async close(graceMs: number): Promise<void> {
    await this.flush();
    const senders = this.#formats.flatMap((f) => f.senders);
    await Promise.all(senders.map((s) => s.drained(graceMs)));
    await Promise.all(senders.map((s) => s.stop()));
    this.#client?.close();
  }
}
