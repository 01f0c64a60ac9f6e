/**
 * Every pair of 64-bit perceptual hashes within a Hamming distance, without comparing all pairs: multi-index
 * hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
 * The 64 bits are cut into m chunks with search radii r_i such that sum(r_i + 1) > threshold; by pigeonhole a pair
 * within the threshold is within r_i on at least one chunk i. Per chunk, rows are bucketed by that chunk's bits
 * (a counting sort into a direct-address table), and each non-empty bucket is joined with the buckets whose key
 * differs from it in at most r_i bits. Candidates are checked on all 64 bits, and a pair is reported only from the
 * first chunk that finds it. m is chosen by a cost model from the row count (docs/duplicates.md: m = t + 1 chunks
 * that must match exactly leave ~6-bit keys, whose buckets hold N/64 rows each: hopeless at a million rows).
 */
import {popcount32} from '../image/phash.js';
import {pacer} from './pace.js';
import type {PhashColumn} from './phash-column.js';

/** Chunks wider than this would need a direct-address table over 16 MB. */
const MAX_CHUNK_BITS = 22;
const MIN_CHUNK_BITS = 8;

export interface ChunkPlan {
  start: number;
  bits: number;
  radius: number;
}

function binomial(n: number, k: number): number {
  let value = 1;
  for (let i = 0; i < k; i++) value = (value * (n - i)) / (i + 1);
  return value;
}

const probes = (bits: number, radius: number) => {
  let total = 0;
  for (let k = 0; k <= radius; k++) total += binomial(bits, k);
  return total;
};

function chunksFor(m: number, threshold: number): ChunkPlan[] {
  const chunks: ChunkPlan[] = [];
  let start = 0;
  for (let i = 0; i < m; i++) {
    const bits = Math.floor(64 / m) + (i < 64 % m ? 1 : 0);
    chunks.push({start, bits, radius: 0});
    start += bits;
  }
  // sum(radius + 1) must exceed the threshold; the extra radius goes to the narrowest chunks, where it is cheapest.
  let extra = Math.max(0, threshold + 1 - m);
  const byWidth = [...chunks].sort((a, b) => a.bits - b.bits || a.start - b.start);
  for (let i = 0; extra > 0; i = (i + 1) % m, extra--) byWidth[i]!.radius++;
  return chunks;
}

/** The chunking with the least estimated work for `rows` uniformly spread hashes. */
export function planChunks(rows: number, threshold: number): ChunkPlan[] {
  let best: {cost: number; chunks: ChunkPlan[]} | undefined;
  for (let m = Math.ceil(64 / MAX_CHUNK_BITS); m <= 64 / MIN_CHUNK_BITS; m++) {
    const chunks = chunksFor(m, threshold);
    let cost = 0;
    for (const {bits, radius} of chunks) {
      const buckets = 2 ** bits;
      const occupied = buckets * (1 - Math.exp(-rows / buckets));
      // Per flip mask, one pass over the occupied buckets, then the candidate pairs (random reads: ~3x a probe).
      cost += buckets + probes(bits, radius) * (occupied + (3 * rows * rows) / buckets / 2);
    }
    if (!best || cost < best.cost) best = {cost, chunks};
  }
  return best!.chunks;
}

/** All masks of `bits` bits with at most `radius` set, ascending. */
function flipMasks(bits: number, radius: number): Uint32Array {
  const masks: number[] = [];
  const extend = (mask: number, from: number, left: number) => {
    masks.push(mask >>> 0);
    if (left === 0) return;
    for (let bit = from; bit < bits; bit++) extend(mask | (1 << bit), bit + 1, left - 1);
  };
  extend(0, 0, radius);
  return Uint32Array.from(masks).sort();
}

function chunkKey(hi: number, lo: number, start: number, bits: number): number {
  const mask = (1 << bits) - 1;
  if (start >= 32) return (hi >>> (start - 32)) & mask;
  if (start + bits <= 32) return (lo >>> start) & mask;
  return ((lo >>> start) | (hi << (32 - start))) & mask;
}

export interface PhashPairOptions {
  threshold: number;
  /** The chunking to use instead of planChunks' (for measuring). */
  chunks?: ChunkPlan[];
  signal?: AbortSignal;
  /** Called now and then with the fraction of the work done. */
  onProgress?: (fraction: number) => void;
}

/**
 * Calls visit(a, b, distance) once for every pair of present rows a < b within the threshold. Resolves with
 * `interrupted: true` when the signal aborted it (some pairs then were not visited).
 */
export async function forEachPhashPair(
  column: PhashColumn,
  visit: (a: number, b: number, distance: number) => void,
  options: PhashPairOptions,
): Promise<{interrupted: boolean; chunks: ChunkPlan[]}> {
  const {hi, lo, present} = column;
  const rows: number[] = [];
  for (let row = 0; row < present.length; row++) if (present[row]) rows.push(row);
  const chunks = options.chunks ?? planChunks(rows.length, options.threshold);
  const masks = chunks.map((chunk) => flipMasks(chunk.bits, chunk.radius));
  const totalMasks = masks.reduce((sum, list) => sum + list.length, 0);
  let masksDone = 0;
  const pace = pacer(options);
  for (let c = 0; c < chunks.length; c++) {
    const {start, bits} = chunks[c]!;
    // Counting sort of the rows by this chunk's key: bucket k holds ids[offsets[k] .. offsets[k+1]).
    const offsets = new Uint32Array(2 ** bits + 1);
    const keys = new Uint32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const key = chunkKey(hi[rows[i]!]!, lo[rows[i]!]!, start, bits);
      keys[i] = key;
      offsets[key + 1]!++;
    }
    // A bitmap of non-empty buckets (256 KB at 21 bits, so it stays in cache) answers most probes.
    const occupiedBits = new Int32Array(Math.ceil(2 ** bits / 32));
    const occupied: number[] = [];
    for (let key = 0; key < 2 ** bits; key++) {
      if (offsets[key + 1]! > 0) {
        occupied.push(key);
        occupiedBits[key >>> 5]! |= 1 << (key & 31);
      }
      offsets[key + 1]! += offsets[key]!;
    }
    // Rows and their hashes in bucket order, so that joining two buckets reads memory sequentially.
    const ids = new Int32Array(rows.length);
    const sortedHi = new Uint32Array(rows.length);
    const sortedLo = new Uint32Array(rows.length);
    const fill = offsets.slice(0, -1);
    for (let i = 0; i < rows.length; i++) {
      const at = fill[keys[i]!]!++;
      ids[at] = rows[i]!;
      sortedHi[at] = hi[rows[i]!]!;
      sortedLo[at] = lo[rows[i]!]!;
    }
    const earlier = chunks.slice(0, c);
    const keyList = Uint32Array.from(occupied);
    const threshold = options.threshold;
    for (const mask of masks[c]!) {
      // Each bucket pair once: `other` = key ^ mask exceeds key exactly when key lacks mask's top bit.
      const topBit = mask === 0 ? 0 : 2 ** (31 - Math.clz32(mask));
      for (let k = 0; k < keyList.length; k++) {
        const key = keyList[k]!;
        if (key & topBit) continue;
        const other = key ^ mask;
        if ((occupiedBits[other >>> 5]! & (1 << (other & 31))) === 0) continue;
        const aStart = offsets[key]!;
        const aEnd = offsets[key + 1]!;
        const bEnd = offsets[other + 1]!;
        for (let ai = aStart; ai < aEnd; ai++) {
          const aHi = sortedHi[ai]!;
          const aLo = sortedLo[ai]!;
          for (let bi = mask === 0 ? ai + 1 : offsets[other]!; bi < bEnd; bi++) {
            const distance = popcount32(aHi ^ sortedHi[bi]!) + popcount32(aLo ^ sortedLo[bi]!);
            if (distance > threshold) continue;
            if (foundEarlier(earlier, aHi, aLo, sortedHi[bi]!, sortedLo[bi]!)) continue;
            const [a, b] = [ids[ai]!, ids[bi]!];
            visit(Math.min(a, b), Math.max(a, b), distance);
          }
        }
      }
      if (!(await pace(++masksDone / totalMasks))) return {interrupted: true, chunks};
    }
  }
  options.onProgress?.(1);
  return {interrupted: false, chunks};
}

function foundEarlier(earlier: ChunkPlan[], aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  for (const {start, bits, radius} of earlier) {
    const differing = chunkKey(aHi, aLo, start, bits) ^ chunkKey(bHi, bLo, start, bits);
    if (popcount32(differing) <= radius) return true;
  }
  return false;
}
