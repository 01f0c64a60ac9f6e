/** Seeded data with planted near copies: unit vectors and 64-bit hashes, for the duplicates tests. */
import {seededRandom} from '../../source/core/random.js';
import type {EmbeddingMatrix} from '../../source/core/search/exact-search.js';

export function gaussianSource(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return vector.map((value) => value / Math.sqrt(sum));
}

/** `rows` random unit vectors; then for each [source, copy] in `copies`, row copy = row source + noise. */
export function plantedMatrix(
  rows: number,
  dims: number,
  copies: readonly (readonly [source: number, copy: number])[],
  noise = 0.01,
  seed = 1,
): EmbeddingMatrix {
  const gaussian = gaussianSource(seed);
  const data = new Float32Array(rows * dims);
  for (let row = 0; row < rows; row++)
    data.set(normalise(Float32Array.from({length: dims}, gaussian)), row * dims);
  for (const [source, copy] of copies) {
    const base = data.subarray(source * dims, (source + 1) * dims);
    data.set(normalise(base.map((value) => value + noise * gaussian())), copy * dims);
  }
  return {data, rows, dims};
}

/** Random 64-bit hashes as words; each [source, copy] gets the source's hash with `flips` distinct bits flipped. */
export function plantedHashes(
  rows: number,
  copies: readonly (readonly [source: number, copy: number, flips: number])[],
  seed = 2,
): {hi: Uint32Array; lo: Uint32Array} {
  const random = seededRandom(seed);
  const hi = Uint32Array.from({length: rows}, () => random() * 2 ** 32);
  const lo = Uint32Array.from({length: rows}, () => random() * 2 ** 32);
  for (const [source, copy, flips] of copies) {
    let [h, l] = [hi[source]!, lo[source]!];
    const bits = new Set<number>();
    while (bits.size < flips) bits.add(Math.floor(random() * 64));
    for (const bit of bits) {
      if (bit >= 32) h ^= 1 << (bit - 32);
      else l ^= 1 << bit;
    }
    hi[copy] = h >>> 0;
    lo[copy] = l >>> 0;
  }
  return {hi, lo};
}
