/**
 * Compact encoding of one raw row's metric values (the keys live in the row's layout).
 *
 * Each value starts with a varint header h:
 * - h even: an integer, zigzag(v) = h / 2 (exact for |v| < 2^51; sizes, counts, whole rates);
 * - h = 1: a float32 follows (4 bytes, little-endian): fractional values are kept to float32
 *   precision, about 7 significant digits, which is plenty for monitoring;
 * - h = 3: a float64 follows (values float32 cannot hold: beyond ±3.4e38 or below 1e-30).
 *
 * Typical samples take 2-5 bytes per value instead of 8.
 */

const INT_LIMIT = 2 ** 51;
const F32_MAX = 3.4e38;
const F32_MIN = 1e-30;

/** The value as it will read back after encoding (rollups aggregate exactly this). */
export function storedValue(v: number): number {
  if (Number.isInteger(v) && Math.abs(v) < INT_LIMIT) return v === 0 ? 0 : v;
  const a = Math.abs(v);
  if (a < F32_MAX && a > F32_MIN) return Math.fround(v);
  return v;
}

/** Reusable output buffer for `encodeValues`. */
export class ValueWriter {
  #buf = new Uint8Array(4096);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  reset(): void {
    this.#pos = 0;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  #varint(n: number): void {
    this.#room(8);
    while (n >= 128) {
      this.#buf[this.#pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.#buf[this.#pos++] = n;
  }

  /** Appends one value (finite numbers only). */
  push(v: number): void {
    const a = Math.abs(v);
    this.#write(v, a < F32_MAX && a > F32_MIN);
  }

  /** Appends one value without loss: float32 only when it holds the value exactly. */
  pushExact(v: number): void {
    this.#write(v, Math.fround(v) === v);
  }

  /** Whole numbers as varints; others as float32 when `asFloat32`, else float64. */
  #write(v: number, asFloat32: boolean): void {
    if (Number.isInteger(v) && Math.abs(v) < INT_LIMIT) {
      this.#varint(v >= 0 ? v * 4 : -v * 4 - 2);
      return;
    }
    if (asFloat32) {
      this.#room(5);
      this.#buf[this.#pos++] = 1;
      this.#view.setFloat32(this.#pos, v, true);
      this.#pos += 4;
      return;
    }
    this.#room(9);
    this.#buf[this.#pos++] = 3;
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
  }

  /** The bytes written since the last reset, as a view valid until the next write. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  /** A copy of the bytes written since the last reset. */
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/** Encodes values in order. */
export function encodeValues(values: readonly number[]): Uint8Array {
  const w = new ValueWriter();
  for (const v of values) w.push(v);
  return w.bytes();
}

/**
 * Decodes `count` values into `out` (from index 0). Throws a RangeError when the blob is
 * shorter than announced or malformed.
 */
export function decodeValues(blob: Uint8Array, count: number, out: Float64Array): void {
  let pos = 0;
  const len = blob.length;
  let view: DataView | undefined;
  for (let i = 0; i < count; i++) {
    let b = pos < len ? blob[pos++] : -1;
    if (b < 0) throw new RangeError(`Value blob ends after ${i} of ${count} values`);
    let h = b & 127;
    let mul = 128;
    while (b >= 128) {
      if (pos >= len) throw new RangeError(`Value blob ends after ${i} of ${count} values`);
      b = blob[pos++];
      h += (b & 127) * mul;
      mul *= 128;
    }
    if (h % 2 === 0) {
      out[i] = h % 4 === 0 ? h / 4 : -(h + 2) / 4;
    } else if (h === 1) {
      if (pos + 4 > len) throw new RangeError(`Value blob ends inside value ${i}`);
      view ??= new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
      out[i] = view.getFloat32(pos, true);
      pos += 4;
    } else if (h === 3) {
      if (pos + 8 > len) throw new RangeError(`Value blob ends inside value ${i}`);
      view ??= new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
      out[i] = view.getFloat64(pos, true);
      pos += 8;
    } else {
      throw new RangeError(`Value blob has an unknown header ${h} at value ${i}`);
    }
  }
}
