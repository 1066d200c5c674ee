/**
 * A remote's on-disk queue of request bodies, oldest first, so nothing is lost while the
 * database is away or the master restarts. One file per batch in the remote's directory:
 * `<id, 16 digits>-<points>.batch`, written to a `.tmp` name and renamed, so a crash leaves
 * either the whole batch or a `.tmp` that the next start removes. The queue is bounded by the
 * bytes of its files: when a new batch would pass the cap, the oldest batches (never the one
 * being sent) are deleted, and their points counted as dropped.
 */
import { join } from "node:path";

/** One queued request body. */
export interface QueuedBatch {
  id: number;
  /** Values in the batch (what the remote will store). */
  points: number;
  bytes: number;
}

const BATCH_FILE = /^(\d{16})-(\d+)\.batch$/;

function fileName(batch: QueuedBatch): string {
  return `${String(batch.id).padStart(16, "0")}-${batch.points}.batch`;
}

export class DiskQueue {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #batches: QueuedBatch[];
  #nextId: number;
  #bytes: number;
  #points: number;
  /** The batch being sent, which eviction must not delete. */
  #inFlight: QueuedBatch | null = null;
  /** Points deleted unsent because the queue was full. */
  droppedPoints = 0;

  private constructor(dir: string, maxBytes: number, batches: QueuedBatch[]) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.#batches = batches;
    this.#nextId = (batches.at(-1)?.id ?? 0) + 1;
    this.#bytes = batches.reduce((n, b) => n + b.bytes, 0);
    this.#points = batches.reduce((n, b) => n + b.points, 0);
  }

  /** Opens (creating) the queue in `dir`; batches a previous run left are kept, in order. */
  static async open(dir: string, maxBytes: number): Promise<DiskQueue> {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const batches: QueuedBatch[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      if (entry.name.endsWith(".tmp")) {
        await Deno.remove(join(dir, entry.name)).catch(() => {});
        continue;
      }
      const match = BATCH_FILE.exec(entry.name);
      if (!match) continue;
      const { size } = await Deno.stat(join(dir, entry.name));
      batches.push({ id: Number(match[1]), points: Number(match[2]), bytes: size });
    }
    batches.sort((a, b) => a.id - b.id);
    return new DiskQueue(dir, maxBytes, batches);
  }

  get batches(): number {
    return this.#batches.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Points waiting to be sent. */
  get points(): number {
    return this.#points;
  }

  /** Appends a batch, first deleting the oldest ones it would not fit beside. */
  async push(body: Uint8Array, points: number): Promise<void> {
    const batch = { id: this.#nextId++, points, bytes: body.byteLength };
    await this.#makeRoom(batch.bytes);
    const path = join(this.dir, fileName(batch));
    await Deno.writeFile(`${path}.tmp`, body, { mode: 0o600 });
    await Deno.rename(`${path}.tmp`, path);
    this.#batches.push(batch);
    this.#bytes += batch.bytes;
    this.#points += batch.points;
  }

  async #makeRoom(bytes: number): Promise<void> {
    let i = 0;
    while (this.#bytes + bytes > this.maxBytes && i < this.#batches.length) {
      const oldest = this.#batches[i];
      if (oldest === this.#inFlight) {
        i++;
        continue;
      }
      this.#batches.splice(i, 1);
      this.#forget(oldest);
      this.droppedPoints += oldest.points;
      await Deno.remove(join(this.dir, fileName(oldest))).catch(() => {});
    }
  }

  #forget(batch: QueuedBatch): void {
    this.#bytes -= batch.bytes;
    this.#points -= batch.points;
  }

  /** The oldest batch, without its body. */
  peekId(): QueuedBatch | undefined {
    return this.#batches[0];
  }

  /** The oldest batch and its body, marked as being sent; undefined when the queue is empty. */
  async head(): Promise<{ batch: QueuedBatch; body: Uint8Array } | undefined> {
    const batch = this.#batches[0];
    if (!batch) return undefined;
    this.#inFlight = batch;
    return { batch, body: await Deno.readFile(join(this.dir, fileName(batch))) };
  }

  /** Deletes a batch that was sent (or refused for good). */
  async remove(batch: QueuedBatch): Promise<void> {
    if (this.#inFlight === batch) this.#inFlight = null;
    const i = this.#batches.indexOf(batch);
    if (i < 0) return;
    this.#batches.splice(i, 1);
    this.#forget(batch);
    await Deno.remove(join(this.dir, fileName(batch))).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  /** The batch being sent is not done (a retry comes later); eviction may take it again. */
  release(batch: QueuedBatch): void {
    if (this.#inFlight === batch) this.#inFlight = null;
  }
}
