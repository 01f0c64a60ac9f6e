/**
 * Pairs of rows whose embeddings have cosine >= a threshold (rows are L2-normalised, so the dot product). Small
 * collections are scanned exactly (every pair, no neighbour cap); larger ones take candidates from a neighbour
 * function, normally an HNSW index's k nearest neighbours of each row, which finds a pair when either row has
 * the other among its k nearest.
 */
import type {EmbeddingMatrix} from '../search/exact-search.js';
import {scoreBlock} from '../search/exact-search.js';
import {buildHnswIndex, DEFAULT_HNSW_SETTINGS, type HnswSettings} from '../search/hnsw-index.js';
import type {ScoredRow} from '../search/top-k.js';
import {pacer} from './pace.js';

/** The k nearest rows to `row` (best first; the row itself may be among them). */
export type NeighbourFn = (row: number, k: number) => ScoredRow[];

/**
 * Up to this many rows all pairs are scored exactly (complete: no neighbour cap, nothing approximate); measured
 * on 2 cores, scoring all pairs costs about what building and querying the index does near 9,000 rows 512-d
 * (docs/duplicates.md), so up to 5,000 exact is both cheaper and certain.
 */
export const EXACT_PAIR_ROWS = 5000;

/**
 * Duplicates are each other's very nearest neighbours, so the index can be lighter than search's (m 32,
 * efConstruction 200) if a lost search is retried (hnswNeighbours). docs/duplicates.md has the recall of planted
 * pairs at 100,000 random rows: m 16 / efConstruction 100 missed 2 of 944 at any efSearch up to 128.
 */
export const DEDUP_HNSW_SETTINGS: HnswSettings = {
  ...DEFAULT_HNSW_SETTINGS,
  m: 16,
  efConstruction: 200,
  efSearch: 64,
};

export interface ClipPairOptions {
  threshold: number;
  /** Neighbours asked per row from `neighbours` (default 10). */
  k?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/**
 * Dot products of rows a..a+3 with each row b > a, into out[(b - a - 1) * 4 + q]: each element of row b is read
 * once for four queries (1.45x faster than four single-query passes, measured at 4,000 x 512-d).
 */
function scoreFour(matrix: EmbeddingMatrix, a: number, out: Float64Array): void {
  const {data, dims, rows} = matrix;
  const [q0, q1, q2, q3] = [a * dims, (a + 1) * dims, (a + 2) * dims, (a + 3) * dims];
  for (let b = a + 1; b < rows; b++) {
    const base = b * dims;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < dims; i++) {
      const value = data[base + i]!;
      s0 += value * data[q0 + i]!;
      s1 += value * data[q1 + i]!;
      s2 += value * data[q2 + i]!;
      s3 += value * data[q3 + i]!;
    }
    const at = (b - a - 1) * 4;
    out[at] = s0;
    out[at + 1] = s1;
    out[at + 2] = s2;
    out[at + 3] = s3;
  }
}

/** Every pair a < b with cosine >= threshold, by scoring all pairs. */
export async function forEachExactClipPair(
  matrix: EmbeddingMatrix,
  visit: (a: number, b: number, score: number) => void,
  options: ClipPairOptions,
): Promise<{interrupted: boolean}> {
  const {rows, dims} = matrix;
  const {threshold} = options;
  const scores = new Float64Array(rows * 4);
  const pace = pacer(options);
  const totalPairs = (rows * (rows - 1)) / 2 || 1;
  let a = 0;
  for (; a + 4 <= rows; a += 4) {
    scoreFour(matrix, a, scores);
    for (let b = a + 1; b < rows; b++)
      for (let q = 0; q < 4 && a + q < b; q++) {
        const score = scores[(b - a - 1) * 4 + q]!;
        if (score >= threshold) visit(a + q, b, score);
      }
    const pairsDone = totalPairs - ((rows - a - 4) * (rows - a - 5)) / 2;
    if (!(await pace(pairsDone / totalPairs))) return {interrupted: true};
  }
  for (; a < rows; a++) {
    scoreBlock(matrix, matrix.data.subarray(a * dims, (a + 1) * dims), a + 1, rows, scores);
    for (let b = a + 1; b < rows; b++) if (scores[b - a - 1]! >= threshold) visit(a, b, scores[b - a - 1]!);
  }
  options.onProgress?.(1);
  return {interrupted: false};
}

/** Pairs a < b with cosine >= threshold among each row's k nearest neighbours (a pair may be visited twice). */
export async function forEachNeighbourClipPair(
  rows: number,
  neighbours: NeighbourFn,
  visit: (a: number, b: number, score: number) => void,
  options: ClipPairOptions,
): Promise<{interrupted: boolean}> {
  const k = options.k ?? 10;
  const pace = pacer(options);
  for (let row = 0; row < rows; row++) {
    // One more than k: the row itself is normally its own nearest neighbour.
    for (const hit of neighbours(row, k + 1)) {
      if (hit.row === row || hit.score < options.threshold) continue;
      visit(Math.min(row, hit.row), Math.max(row, hit.row), hit.score);
    }
    if (!(await pace((row + 1) / rows))) return {interrupted: true};
  }
  options.onProgress?.(1);
  return {interrupted: false};
}

/** Builds an HNSW index over the rows and returns its neighbour function. Rejects with an AbortError on abort. */
export async function hnswNeighbours(
  matrix: EmbeddingMatrix,
  options: {settings?: Partial<HnswSettings>; signal?: AbortSignal; onProgress?: (fraction: number) => void},
): Promise<NeighbourFn> {
  const index = await buildHnswIndex(matrix, {
    settings: {...DEDUP_HNSW_SETTINGS, ...options.settings},
    signal: options.signal,
    onEvent: (event) => {
      if (event.type === 'progress') options.onProgress?.(event.added / event.rows);
    },
  });
  const {dims} = matrix;
  const {efSearch} = index.settings;
  return (row, k) => {
    const query = matrix.data.subarray(row * dims, (row + 1) * dims);
    let hits = index.search(query, k);
    // A search that misses the row itself got lost in the graph (14% of rows at ef 64 in 100,000 random 512-d
    // vectors; real embeddings cluster and fare better): it is retried wider, which costs little on average.
    for (const wider of [efSearch * 4, efSearch * 16]) {
      if (hits.some((hit) => hit.row === row)) break;
      hits = index.search(query, k, wider);
    }
    return hits;
  };
}
