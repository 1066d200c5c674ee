/**
 * Seeded randomness for the simulator. Two kinds: a sequential generator for drawing a
 * machine's profile once, and stateless hashes of (key, time, channel) for everything that
 * varies over time, so a sample is a pure function of its timestamp.
 */

/** Final mix of MurmurHash3: spreads every input bit over the 32-bit output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A well-mixed 32-bit hash of a string (FNV-1a, then a final mix). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Combines two 32-bit values into one well-mixed 32-bit hash. */
export function mix32(a: number, b: number): number {
  return fmix32((Math.imul(a ^ 0x9e3779b9, 0x27d4eb2f) + fmix32(b)) >>> 0);
}

/** A sequential generator (mulberry32) returning numbers in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform number in [0, 1) fixed by (key, t, channel); `t` may be any safe integer. */
export function unitAt(key: number, t: number, channel: number): number {
  const lo = t >>> 0;
  const hi = Math.floor(t / 4294967296) >>> 0;
  return mix32(mix32(key, channel), (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) / 4294967296;
}

/** An approximately standard normal number fixed by (key, t, channel) (sum of three uniforms). */
export function gaussianAt(key: number, t: number, channel: number): number {
  const a = unitAt(key, t, channel);
  const b = unitAt(key, t, channel + 0x1000);
  const c = unitAt(key, t, channel + 0x2000);
  return (a + b + c - 1.5) * 2; // variance of the sum is 3/12; times 2 gives 1
}

/** A number in [min, max) drawn from `random`. */
export function between(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

/** One element of `items` drawn from `random`. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}
