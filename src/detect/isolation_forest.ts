/**
 * Isolation Forest (Liu, Ting and Zhou, ICDM 2008) as scikit-learn implements it.
 *
 * Each tree is grown on psi = min(sampleSize, nRows) rows drawn without replacement, down to a
 * depth limit of ceil(log2 psi). A node splits on a feature drawn uniformly among the features
 * that are not constant in that node (a node where all are constant becomes a leaf), at a
 * threshold drawn uniformly in [min, max) of that feature in the node; rows with
 * `value <= threshold` go left. A row's path length in a tree is the depth of the leaf it lands
 * in plus c(leaf size), the expected depth of an unbuilt subtree. The anomaly score is
 * 2^(-E[h] / c(psi)): near 1 for rows isolated early, at or below 0.5 for ordinary ones.
 *
 * Layout, sized to the nodes actually grown (a master holds one forest per machine), per
 * internal node, in depth-first order:
 * - its feature: Uint8 (up to 256 features), else Uint16;
 * - its threshold: Float32, the float32 nearest the drawn one, kept inside the node's
 *   [min, max); growing splits on exactly that value, and a feature whose node range no
 *   float32 separates counts as constant. A forest grown on an Int16Array (whole numbers)
 *   keeps Int16 thresholds rounded down instead: they split whole numbers the same way;
 * - `left`: 0 when the left child is an internal node (then it is the next node), else the
 *   size of that leaf (Uint8 for psi <= 256);
 * - `right`: the right child, either the index of an internal node of the same tree or, at or
 *   above `leafBase(psi)` (2^15 below psi 2^15), a leaf of `right - leafBase` rows (Uint16).
 * Leaves take no storage of their own: a leaf's path length is its depth plus c(size),
 * computed on the way. `scoreAll` expands the forest once into complete binary trees for its
 * branch-free batch walk.
 */
import { Buffer } from "node:buffer";
import { Random } from "./random.ts";

/** Options of `fitForest`. */
export interface ForestOptions {
  /** Number of trees (default 100). */
  trees?: number;
  /** Rows per tree, psi (default 256; capped at the number of rows). */
  sampleSize?: number;
  /** Seed of the random generator (default 1). */
  seed?: number;
}

/** The saved form of a forest (`toJSON`), typed arrays as base64 of their little-endian bytes. */
export interface ForestJSON {
  format: "gridmon-isolation-forest";
  version: 2;
  nFeatures: number;
  trees: number;
  sampleSize: number;
  depth: number;
  /** Uint32 per tree plus one: where each tree's internal nodes start. */
  treeStart: string;
  /** Uint8 (up to 256 features) or Uint16 per internal node. */
  feature: string;
  /** Float32 (or Int16 for a forest grown on whole numbers) per internal node. */
  threshold: string;
  thresholdType: "float32" | "int16";
  /** Per internal node, as described in the module comment: Uint8, Uint16 or Uint32. */
  left: string;
  /** Per internal node: Uint16 (psi < 32768) or Uint32. */
  right: string;
}

/** The arrays of a forest (see the module comment). */
export interface ForestArrays {
  treeStart: Uint32Array;
  feature: Uint8Array | Uint16Array;
  threshold: Float32Array | Int16Array;
  left: Uint8Array | Uint16Array | Uint32Array;
  right: Uint16Array | Uint32Array;
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n nodes,
 * 2 H(n-1) - 2 (n-1) / n with H(i) ~ ln(i) + Euler's constant; c(1) = 0 and c(2) = 1.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** c(n) for small n, looked up while scoring. */
const C_TABLE = Float64Array.from({ length: 257 }, (_, n) => averagePathLength(n));

function c(n: number): number {
  return n < 257 ? C_TABLE[n] : averagePathLength(n);
}

/** The smallest child value that means "leaf" for a forest of this psi. */
function leafBase(sampleSize: number): number {
  return sampleSize < 0x8000 ? 0x8000 : 0x80000000;
}

/** Bytes per `left` entry: a left leaf has at most psi - 1 rows. */
function leftBytes(sampleSize: number): number {
  return sampleSize <= 256 ? 1 : sampleSize <= 65536 ? 2 : 4;
}

/** A trained forest. Create one with `fitForest` or `IsolationForest.fromJSON`. */
export class IsolationForest {
  /** Number of features a row must have. */
  readonly nFeatures: number;
  readonly trees: number;
  /** psi: rows each tree was grown on. */
  readonly sampleSize: number;
  /** Depth limit of the trees: ceil(log2 psi). */
  readonly depth: number;
  readonly #a: ForestArrays;
  readonly #leaf: number;
  readonly #scale: number;
  #ranks?: Cuts;

  /** Low level: wraps arrays laid out as described in the module comment. */
  constructor(nFeatures: number, sampleSize: number, arrays: ForestArrays) {
    this.nFeatures = nFeatures;
    this.sampleSize = sampleSize;
    this.depth = maxDepth(sampleSize);
    this.trees = arrays.treeStart.length - 1;
    this.#a = arrays;
    this.#leaf = leafBase(sampleSize);
    this.#scale = -1 / (this.trees * averagePathLength(sampleSize));
  }

  /** Bytes held by the forest's arrays (not counting `scoreAll`'s expanded copy). */
  get byteLength(): number {
    const a = this.#a;
    return a.treeStart.byteLength + a.feature.byteLength + a.threshold.byteLength +
      a.left.byteLength + a.right.byteLength;
  }

  /** Anomaly score in (0, 1) of the row starting at `offset` in `data` (row-major). */
  scoreRow(data: ArrayLike<number>, offset = 0): number {
    return Math.pow(2, this.#pathSum(data, offset) * this.#scale);
  }

  /** Mean path length E[h] of a row over all trees. */
  pathLength(data: ArrayLike<number>, offset = 0): number {
    return this.#pathSum(data, offset) / this.trees;
  }

  /** Sum over trees of the row's path length (leaf depth + c(leaf size)). */
  #pathSum(data: ArrayLike<number>, offset: number): number {
    const { treeStart, feature, threshold, left, right } = this.#a;
    const leaf = this.#leaf, rootLeaf = c(this.sampleSize);
    let sum = 0;
    for (let t = 0; t < this.trees; t++) {
      const base = treeStart[t];
      if (base === treeStart[t + 1]) {
        sum += rootLeaf;
        continue;
      }
      let k = base, d = 0;
      for (;;) {
        d++;
        if (data[offset + feature[k]] > threshold[k]) {
          const child = right[k];
          if (child >= leaf) {
            sum += d + c(child - leaf);
            break;
          }
          k = base + child;
        } else {
          const size = left[k];
          if (size !== 0) {
            sum += d + c(size);
            break;
          }
          k++;
        }
      }
    }
    return sum;
  }

  /** The left child of node k of the tree starting at `base`, in `right`'s encoding. */
  #leftChild(base: number, k: number): number {
    const size = this.#a.left[k];
    return size === 0 ? k + 1 - base : this.#leaf + size;
  }

  /** Training rows under `child` of a tree starting at `base`. */
  #rows(base: number, child: number): number {
    if (child >= this.#leaf) return child - this.#leaf;
    return this.#rows(base, this.#leftChild(base, base + child)) +
      this.#rows(base, this.#a.right[base + child]);
  }

  /**
   * The forest as complete binary trees of `depth` levels (children of node i at 2i+1 and
   * 2i+2; a leaf above the bottom level has threshold +Infinity, so rows walk left to the
   * bottom, where its value, depth + c(size), is stored), for `scoreAll`'s batch walk.
   */
  #complete() {
    const { treeStart, feature: feat, threshold: thr, right } = this.#a;
    const depth = this.depth, leaf = this.#leaf;
    const internal = 2 ** depth - 1, leaves = 2 ** depth;
    const feature = new Int32Array(internal * this.trees);
    const threshold = new Float64Array(internal * this.trees);
    const leafValue = new Float64Array(leaves * this.trees);
    const fill = (t: number, node: number, d: number, child: number) => {
      const at = t * internal + node;
      if (child < leaf) {
        const k = treeStart[t] + child;
        feature[at] = feat[k];
        threshold[at] = thr[k];
        fill(t, 2 * node + 1, d + 1, this.#leftChild(treeStart[t], k));
        fill(t, 2 * node + 2, d + 1, right[k]);
        return;
      }
      let bottom = node;
      while (bottom < internal) {
        threshold[t * internal + bottom] = Infinity;
        bottom = 2 * bottom + 1;
      }
      leafValue[t * leaves + bottom - internal] = d + c(child - leaf);
    };
    for (let t = 0; t < this.trees; t++) {
      fill(t, 0, 0, treeStart[t] === treeStart[t + 1] ? leaf + this.sampleSize : 0);
    }
    return { feature, threshold, leafValue, internal, leaves };
  }

  /** Scores every row of a row-major matrix with `nFeatures` columns. */
  scoreAll(data: Float64Array): Float64Array {
    const nF = this.nFeatures;
    if (data.length % nF !== 0) {
      throw new RangeError(
        `scoreAll: ${data.length} values is not a whole number of rows of ${nF} features`,
      );
    }
    const nRows = data.length / nF;
    const out = new Float64Array(nRows);
    const ranks = this.#thresholdRanks();
    const bins = new Int32Array(BLOCK * nF);
    for (let start = 0; start < nRows; start += BLOCK) {
      const count = Math.min(BLOCK, nRows - start);
      binRows(data, start * nF, count, nF, ranks, bins);
      this.#sumBlock(bins, count, ranks, out, start);
    }
    for (let r = 0; r < nRows; r++) out[r] = Math.pow(2, out[r] * this.#scale);
    return out;
  }

  /**
   * Adds, for `count` binned rows, every tree's leaf value to `out[outStart + r]`. Comparisons
   * are on integers (a row's bin against a node's threshold rank), so the walk has no
   * data-dependent branch, and eight rows walk each tree side by side to overlap their loads.
   */
  #sumBlock(
    bins: Int32Array,
    count: number,
    ranks: Cuts,
    out: Float64Array,
    outStart: number,
  ) {
    const { node, leafValue, internal, leaves } = ranks;
    const depth = this.depth;
    for (let t = 0; t < this.trees; t++) {
      const base = t * internal;
      const leafBase = t * leaves - internal;
      let r = 0;
      for (; r + 7 < count; r += 8) {
        let a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0;
        for (let level = 0; level < depth; level++) {
          const ka = (base + a) << 1;
          const kb = (base + b) << 1;
          const kc = (base + c) << 1;
          const kd = (base + d) << 1;
          const ke = (base + e) << 1;
          const kf = (base + f) << 1;
          const kg = (base + g) << 1;
          const kh = (base + h) << 1;
          a = 2 * a + 1 + ((node[ka + 1] - bins[node[ka] + r]) >>> 31);
          b = 2 * b + 1 + ((node[kb + 1] - bins[node[kb] + r + 1]) >>> 31);
          c = 2 * c + 1 + ((node[kc + 1] - bins[node[kc] + r + 2]) >>> 31);
          d = 2 * d + 1 + ((node[kd + 1] - bins[node[kd] + r + 3]) >>> 31);
          e = 2 * e + 1 + ((node[ke + 1] - bins[node[ke] + r + 4]) >>> 31);
          f = 2 * f + 1 + ((node[kf + 1] - bins[node[kf] + r + 5]) >>> 31);
          g = 2 * g + 1 + ((node[kg + 1] - bins[node[kg] + r + 6]) >>> 31);
          h = 2 * h + 1 + ((node[kh + 1] - bins[node[kh] + r + 7]) >>> 31);
        }
        const o = outStart + r;
        out[o] += leafValue[leafBase + a];
        out[o + 1] += leafValue[leafBase + b];
        out[o + 2] += leafValue[leafBase + c];
        out[o + 3] += leafValue[leafBase + d];
        out[o + 4] += leafValue[leafBase + e];
        out[o + 5] += leafValue[leafBase + f];
        out[o + 6] += leafValue[leafBase + g];
        out[o + 7] += leafValue[leafBase + h];
      }
      for (; r < count; r++) {
        let at = 0;
        for (let level = 0; level < depth; level++) {
          const k = (base + at) << 1;
          at = 2 * at + 1 + ((node[k + 1] - bins[node[k] + r]) >>> 31);
        }
        out[outStart + r] += leafValue[leafBase + at];
      }
    }
  }

  /**
   * Per feature, the sorted distinct thresholds used anywhere in the forest ("cuts"), and per
   * node the index of its threshold among its feature's cuts. A row value's bin is the number
   * of its feature's cuts below it, so `value > threshold` exactly when `bin > rank`.
   * Leaf markers get a rank no bin reaches.
   */
  #thresholdRanks(): Cuts {
    if (this.#ranks) return this.#ranks;
    const nF = this.nFeatures;
    const { threshold, feature, leafValue, internal, leaves } = this.#complete();
    const cutStart = new Int32Array(nF + 1);
    for (let k = 0; k < threshold.length; k++) {
      if (threshold[k] !== Infinity) cutStart[feature[k] + 1]++;
    }
    for (let f = 0; f < nF; f++) cutStart[f + 1] += cutStart[f];
    const all = new Float64Array(cutStart[nF]);
    const fill = cutStart.slice(0, nF);
    for (let k = 0; k < threshold.length; k++) {
      if (threshold[k] !== Infinity) all[fill[feature[k]]++] = threshold[k];
    }
    // Sort each feature's thresholds and drop repeats, compacting in place.
    let write = 0;
    for (let f = 0; f < nF; f++) {
      const values = all.subarray(cutStart[f], cutStart[f + 1]).sort();
      cutStart[f] = write;
      for (let i = 0; i < values.length; i++) {
        if (i === 0 || values[i] !== values[i - 1]) all[write++] = values[i];
      }
    }
    cutStart[nF] = write;
    const cuts = all.slice(0, write);
    const rank = new Int32Array(threshold.length);
    for (let k = 0; k < threshold.length; k++) {
      if (threshold[k] === Infinity) {
        rank[k] = 0x3fffffff;
        continue;
      }
      const f = feature[k];
      rank[k] = lowerBound(cuts, cutStart[f], cutStart[f + 1], threshold[k]) - cutStart[f];
    }
    const node = new Int32Array(2 * rank.length);
    for (let k = 0; k < rank.length; k++) {
      node[2 * k] = feature[k] * BLOCK; // where the feature's bins start
      node[2 * k + 1] = rank[k];
    }
    this.#ranks = {
      cuts,
      cutStart,
      node,
      leafValue,
      internal,
      leaves,
      ...bucketCuts(cuts, cutStart),
    };
    return this.#ranks;
  }

  /**
   * Per-feature attribution of a row's score. On the row's path through a tree, the split at a
   * node of n training rows that sends the row to a child of m rows is credited with
   * c(n) - 1 - c(m): how much that one step shortened the expected remaining path (positive
   * when the split cut the row off from most of its node, negative when it kept it with the
   * crowd). Credits go to the split's feature and are averaged over trees. They telescope, so
   * the result sums to c(psi) - E[h]: positive exactly when the row is easier to isolate than
   * average, and the largest entry names the feature whose splits isolated it.
   */
  attribute(data: ArrayLike<number>, offset = 0): Float64Array {
    const out = new Float64Array(this.nFeatures);
    const { treeStart, feature, threshold, right } = this.#a;
    const leaf = this.#leaf;
    for (let t = 0; t < this.trees; t++) {
      const base = treeStart[t];
      if (base === treeStart[t + 1]) continue;
      let k = base, n = this.sampleSize;
      for (;;) {
        const f = feature[k];
        const child = data[offset + f] > threshold[k] ? right[k] : this.#leftChild(base, k);
        const m = this.#rows(base, child);
        out[f] += c(n) - 1 - c(m);
        if (child >= leaf) break;
        k = base + child;
        n = m;
      }
    }
    for (let f = 0; f < out.length; f++) out[f] /= this.trees;
    return out;
  }

  /** The saved form; `IsolationForest.fromJSON(forest.toJSON())` scores bit for bit the same. */
  toJSON(): ForestJSON {
    const a = this.#a;
    return {
      format: "gridmon-isolation-forest",
      version: 2,
      nFeatures: this.nFeatures,
      trees: this.trees,
      sampleSize: this.sampleSize,
      depth: this.depth,
      treeStart: toBase64(a.treeStart),
      feature: toBase64(a.feature),
      threshold: toBase64(a.threshold),
      thresholdType: a.threshold instanceof Int16Array ? "int16" : "float32",
      left: toBase64(a.left),
      right: toBase64(a.right),
    };
  }

  /** Loads a forest saved with `toJSON`. Throws TypeError when `json` is not one. */
  static fromJSON(json: unknown): IsolationForest {
    const bad = (why: string) => new TypeError(`Cannot load isolation forest: ${why}`);
    if (typeof json !== "object" || json === null) throw bad("not an object");
    const j = json as Record<string, unknown>;
    if (j.format !== "gridmon-isolation-forest") throw bad(`format is ${String(j.format)}`);
    if (j.version !== 2) throw bad(`unsupported version ${String(j.version)}`);
    const whole = (key: string, min: number, max: number) => {
      const v = j[key];
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
        throw bad(`${key} must be a whole number in ${min}..${max}`);
      }
      return v;
    };
    const nFeatures = whole("nFeatures", 1, 65536);
    const trees = whole("trees", 1, 65536);
    const sampleSize = whole("sampleSize", 2, 1 << 24);
    const depth = whole("depth", 1, 24);
    if (depth !== maxDepth(sampleSize)) throw bad(`depth ${depth} does not match ${sampleSize}`);
    const treeStart = new Uint32Array(fromBase64(j.treeStart, (trees + 1) * 4, "treeStart", bad));
    const nodes = treeStart[trees];
    if (nodes > trees * (2 ** depth - 1)) throw bad(`treeStart ends at ${nodes}`);
    const wide = nFeatures > 256, far = leafBase(sampleSize) > 0x8000;
    const arrays: ForestArrays = {
      treeStart,
      feature: wide
        ? new Uint16Array(fromBase64(j.feature, nodes * 2, "feature", bad))
        : new Uint8Array(fromBase64(j.feature, nodes, "feature", bad)),
      threshold: j.thresholdType === "int16"
        ? new Int16Array(fromBase64(j.threshold, nodes * 2, "threshold", bad))
        : new Float32Array(fromBase64(j.threshold, nodes * 4, "threshold", bad)),
      left: leftArray(
        fromBase64(j.left, nodes * leftBytes(sampleSize), "left", bad),
        sampleSize,
      ),
      right: far
        ? new Uint32Array(fromBase64(j.right, nodes * 4, "right", bad))
        : new Uint16Array(fromBase64(j.right, nodes * 2, "right", bad)),
    };
    if (j.thresholdType !== "int16" && j.thresholdType !== "float32") {
      throw bad(`thresholdType is ${String(j.thresholdType)}`);
    }
    const leaf = leafBase(sampleSize);
    for (let t = 0; t < trees; t++) {
      const base = treeStart[t], end = treeStart[t + 1];
      if (end < base) throw bad(`treeStart decreases at tree ${t}`);
      for (let k = base; k < end; k++) {
        if (arrays.feature[k] >= nFeatures) throw bad(`feature index out of range`);
        const size = arrays.left[k];
        if (size === 0 ? k + 1 >= end : size >= sampleSize) {
          throw bad(`left child ${size} of node ${k - base} in tree ${t} is out of range`);
        }
        const child = arrays.right[k];
        const ok = child >= leaf
          ? child - leaf >= 1 && child - leaf < sampleSize
          : child > k - base && child < end - base;
        if (!ok) throw bad(`child ${child} of node ${k - base} in tree ${t} is out of range`);
      }
    }
    return new IsolationForest(nFeatures, sampleSize, arrays);
  }
}

const BLOCK = 256;

/** Index of the first entry of sorted `a[lo..hi)` that is not below `x`. */
function lowerBound(a: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per feature, the sorted distinct thresholds ("cuts"), each node's threshold rank among its
 * feature's cuts, and a uniform grid over each feature's cut range that says, per grid
 * bucket, which cuts lie in it. Binning a value is then one multiplication to find its
 * bucket and a scan of the (usually one or two) cuts in it, instead of a binary search.
 */
interface Cuts {
  cuts: Float64Array;
  cutStart: Int32Array;
  /** Per node, its feature and its threshold's rank side by side: one cache line serves both. */
  node: Int32Array;
  gridLow: Float64Array;
  gridScale: Float64Array;
  /** Offset of each feature's buckets in `bucket`; a feature with G buckets has G + 1 entries. */
  gridStart: Int32Array;
  /** Index (into cuts) of the first cut at or after each bucket. */
  bucket: Int32Array;
  /** The complete trees' leaf values (see `#complete`). */
  leafValue: Float64Array;
  internal: number;
  leaves: number;
}

/** The bucket of `x` in a grid of `size` buckets; monotone in x, so cuts keep their order. */
function bucketOf(x: number, low: number, scale: number, size: number): number {
  const k = Math.floor((x - low) * scale);
  return k >= 0 ? (k < size ? k : size - 1) : 0;
}

function bucketCuts(cuts: Float64Array, cutStart: Int32Array) {
  const nF = cutStart.length - 1;
  const gridLow = new Float64Array(nF);
  const gridScale = new Float64Array(nF);
  const gridStart = new Int32Array(nF + 1);
  for (let f = 0; f < nF; f++) {
    gridStart[f + 1] = gridStart[f] + Math.max(1, cutStart[f + 1] - cutStart[f]) + 1;
  }
  const bucket = new Int32Array(gridStart[nF]);
  for (let f = 0; f < nF; f++) {
    const lo = cutStart[f], hi = cutStart[f + 1];
    const size = gridStart[f + 1] - gridStart[f] - 1;
    const span = hi > lo ? cuts[hi - 1] - cuts[lo] : 0;
    gridLow[f] = hi > lo ? cuts[lo] : 0;
    gridScale[f] = span > 0 ? size / span : 0;
    let i = lo;
    for (let k = 0; k <= size; k++) {
      while (i < hi && bucketOf(cuts[i], gridLow[f], gridScale[f], size) < k) i++;
      bucket[gridStart[f] + k] = i;
    }
  }
  return { gridLow, gridScale, gridStart, bucket };
}

/**
 * Writes each value's bin (count of its feature's cuts below it) for `count` rows, column by
 * column: the bin of row r, feature f goes to `bins[f * BLOCK + r]`.
 */
function binRows(
  data: Float64Array,
  offset: number,
  count: number,
  nF: number,
  c: Cuts,
  bins: Int32Array,
): void {
  const { cuts, cutStart, bucket } = c;
  for (let f = 0; f < nF; f++) {
    const first = cutStart[f];
    if (first === cutStart[f + 1]) continue; // no tree splits on this feature; never read
    const low = c.gridLow[f], scale = c.gridScale[f], grid = c.gridStart[f];
    const size = c.gridStart[f + 1] - grid - 1;
    for (let r = 0, i = offset + f, j = f * BLOCK; r < count; r++, i += nF, j++) {
      const x = data[i];
      const k = grid + bucketOf(x, low, scale, size);
      let at = bucket[k];
      const end = bucket[k + 1];
      if (end - at > 8) at = lowerBound(cuts, at, end, x);
      else while (at < end && cuts[at] < x) at++;
      bins[j] = at - first;
    }
  }
}

/** ceil(log2 psi), the depth limit scikit-learn uses (at least 1). */
export function maxDepth(sampleSize: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(sampleSize, 2))));
}

/**
 * Grows a forest on `nRows` rows of `nFeatures` values each, row-major in `data`.
 * Values must be finite. Throws RangeError on bad shapes or options.
 */
export function fitForest(
  data: ArrayLike<number>,
  nRows: number,
  nFeatures: number,
  options: ForestOptions = {},
): IsolationForest {
  const steps = growForest(data, nRows, nFeatures, options, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `fitForest` in steps: yields the number of trees grown after every `treesPerStep` trees and
 * returns the forest, so a caller can spread a fit over several turns of its event loop. The
 * result is the same forest `fitForest` grows when `data` does not change in between; if it
 * does, each tree is grown on the data as it is during that tree's step.
 */
export function* growForest(
  data: ArrayLike<number>,
  nRows: number,
  nFeatures: number,
  options: ForestOptions = {},
  treesPerStep = 10,
): Generator<number, IsolationForest, void> {
  const trees = options.trees ?? 100;
  const seed = options.seed ?? 1;
  const wanted = options.sampleSize ?? 256;
  if (!Number.isInteger(nFeatures) || nFeatures < 1 || nFeatures > 65536) {
    throw new RangeError(
      `fitForest: nFeatures must be a whole number in 1..65536, got ${nFeatures}`,
    );
  }
  if (!Number.isInteger(nRows) || nRows < 2) {
    throw new RangeError(`fitForest: needs at least 2 rows, got ${nRows}`);
  }
  if (data.length < nRows * nFeatures) {
    throw new RangeError(
      `fitForest: ${data.length} values cannot hold ${nRows} rows of ${nFeatures} features`,
    );
  }
  if (!Number.isInteger(trees) || trees < 1 || trees > 65536) {
    throw new RangeError(`fitForest: trees must be a whole number in 1..65536, got ${trees}`);
  }
  if (!Number.isInteger(wanted) || wanted < 2 || wanted > 1 << 24) {
    throw new RangeError(`fitForest: sampleSize must be a whole number in 2..2^24, got ${wanted}`);
  }
  if (!(treesPerStep >= 1)) {
    throw new RangeError(`growForest: treesPerStep must be >= 1, got ${treesPerStep}`);
  }
  const psi = Math.min(wanted, nRows);
  const depth = maxDepth(psi);
  const leaf = leafBase(psi);
  // Node arrays grow by doubling and are trimmed at the end.
  let capacity = trees * 64;
  let feature: Uint8Array | Uint16Array = nFeatures > 256
    ? new Uint16Array(capacity)
    : new Uint8Array(capacity);
  // Whole numbers: any threshold in [k, k + 1) splits them alike, so k is kept, in 2 bytes.
  const whole = data instanceof Int16Array;
  let threshold: Float32Array | Int16Array = whole
    ? new Int16Array(capacity)
    : new Float32Array(capacity);
  let left = leftArray(new ArrayBuffer(capacity * leftBytes(psi)), psi);
  let right: Uint16Array | Uint32Array = leaf > 0x8000
    ? new Uint32Array(capacity)
    : new Uint16Array(capacity);
  const treeStart = new Uint32Array(trees + 1);
  let count = 0, base = 0;
  const rng = new Random(seed);
  const permutation = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) permutation[i] = i;
  const rows = new Int32Array(psi);
  const features = new Int32Array(nFeatures);
  for (let f = 0; f < nFeatures; f++) features[f] = f;

  const allocate = (): number => {
    if (count === capacity) {
      capacity *= 2;
      feature = resized(feature, capacity);
      threshold = resized(threshold, capacity);
      left = resized(left, capacity);
      right = resized(right, capacity);
    }
    return count++;
  };

  /** Grows the node of rows[lo..hi) at depth d; returns its child value for the parent. */
  const grow = (d: number, lo: number, hi: number, known: number): number => {
    const n = hi - lo;
    let chosen = -1, min = 0, max = 0, low = 0, constants = known;
    if (d < depth && n > 1) {
      // Draw features without replacement among those not yet known constant in this node.
      while (constants < nFeatures) {
        const pick = constants + rng.nextInt(nFeatures - constants);
        const f = features[pick];
        min = Infinity;
        max = -Infinity;
        for (let i = lo; i < hi; i++) {
          const v = data[rows[i] * nFeatures + f];
          if (v < min) min = v;
          if (v > max) max = v;
        }
        if (max > min) {
          low = float32AtLeast(min);
          if (low < max) {
            chosen = f;
            break;
          }
        }
        features[pick] = features[constants];
        features[constants++] = f;
      }
    }
    if (chosen < 0) return leaf + n;
    let t = min + rng.nextFloat() * (max - min);
    if (t >= max) t = min;
    let t32 = Math.fround(t);
    if (t32 < min) t32 = low;
    else if (t32 >= max) t32 = float32Below(max);
    if (whole) t32 = Math.floor(t32);
    const k = allocate();
    feature[k] = chosen;
    threshold[k] = t32;
    let i = lo, j = hi - 1;
    while (i <= j) {
      if (data[rows[i] * nFeatures + chosen] <= t32) {
        i++;
      } else {
        const tmp = rows[i];
        rows[i] = rows[j];
        rows[j--] = tmp;
      }
    }
    const l = grow(d + 1, lo, i, constants);
    const r = grow(d + 1, i, hi, constants);
    left[k] = l >= leaf ? l - leaf : 0; // an internal left child is node k + 1
    right[k] = r;
    return k - base;
  };

  for (let tree = 0; tree < trees; tree++) {
    // Partial Fisher-Yates: the first psi entries become a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + rng.nextInt(nRows - i);
      const tmp = permutation[i];
      permutation[i] = permutation[j];
      permutation[j] = tmp;
      rows[i] = permutation[i];
    }
    base = treeStart[tree] = count;
    grow(0, 0, psi, 0);
    if ((tree + 1) % treesPerStep === 0 && tree + 1 < trees) yield tree + 1;
  }
  treeStart[trees] = count;
  return new IsolationForest(nFeatures, psi, {
    treeStart,
    feature: feature.slice(0, count),
    threshold: threshold.slice(0, count),
    left: left.slice(0, count),
    right: right.slice(0, count),
  });
}

/** `left` of a forest of this psi over `buffer`. */
function leftArray(
  buffer: ArrayBuffer,
  sampleSize: number,
): Uint8Array | Uint16Array | Uint32Array {
  const bytes = leftBytes(sampleSize);
  return bytes === 1
    ? new Uint8Array(buffer)
    : bytes === 2
    ? new Uint16Array(buffer)
    : new Uint32Array(buffer);
}

function resized<T extends Uint8Array | Uint16Array | Uint32Array | Int16Array | Float32Array>(
  array: T,
  length: number,
): T {
  const out = new (array.constructor as new (length: number) => T)(length);
  out.set(array as ArrayLike<number>);
  return out;
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** The next float32 above the float32 `f`. */
function nextFloat32(f: number): number {
  if (f === 0) return 1.401298464324817e-45;
  F32[0] = f;
  I32[0] += f > 0 ? 1 : -1;
  return F32[0];
}

/** The smallest float32 >= x. */
function float32AtLeast(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : nextFloat32(f);
}

/** The largest float32 < x. */
function float32Below(x: number): number {
  const f = Math.fround(x);
  return f < x ? f : -nextFloat32(-f);
}

function toBase64(array: ArrayBufferView): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString("base64");
}

function fromBase64(
  value: unknown,
  byteLength: number,
  key: string,
  bad: (why: string) => TypeError,
): ArrayBuffer {
  if (typeof value !== "string") throw bad(`${key} is not a base64 string`);
  const bytes = Buffer.from(value, "base64");
  if (bytes.byteLength !== byteLength) {
    throw bad(`${key} has ${bytes.byteLength} bytes, expected ${byteLength}`);
  }
  const copy = new ArrayBuffer(byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
