/**
 * The few protobuf wire-format primitives remote write needs (varints, little-endian doubles,
 * raw bytes) into one growing buffer that is reused from request to request.
 */

/** Bytes a non-negative integer (up to 2^53) takes as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

export class ProtobufWriter {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  /** Empties the writer, keeping its buffer. */
  reset(): void {
    this.#pos = 0;
  }

  /** The bytes written so far (a view of the buffer: valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  /** A non-negative integer up to 2^53 (timestamps in ms need more than 32 bits). */
  varint(n: number): void {
    this.#reserve(10);
    const buf = this.#buf;
    let pos = this.#pos;
    if (n > 0xffffffff) {
      // the low 28 bits with 32-bit arithmetic, the rest by division
      let low = n % 0x10000000;
      for (let i = 0; i < 4; i++) {
        buf[pos++] = (low & 127) | 128;
        low >>>= 7;
      }
      n = Math.floor(n / 0x10000000);
    }
    while (n > 127) {
      buf[pos++] = (n & 127) | 128;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.#pos = pos;
  }

  double(value: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    bigger.set(this.#buf.subarray(0, this.#pos));
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer);
  }
}
