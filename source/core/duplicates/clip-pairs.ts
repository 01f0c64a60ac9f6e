/**
 * Pairs of rows whose embeddings have cosine >= a threshold (rows are L2-normalised, so the dot product). Small
 * collections are scanned exactly (every pair, no neighbour cap); larger ones take candidates from a neighbour
 * function, normally an HNSW index's k nearest neighbours of each row, which finds a pair when either row has
 * the other among its k nearest.
 */
import type {EmbeddingMatrix} from '../search/exact-search.js';
import {scoreBlock} from '../search/exact-search.js';
import {buildHnswIndex, type HnswSettings} from '../search/hnsw-index.js';
import type {ScoredRow} from '../search/top-k.js';

/** The k nearest rows to `row` (best first; the row itself may be among them). */
export type NeighbourFn = (row: number, k: number) => ScoredRow[];

/**
 * Up to this many rows all pairs are scored exactly: 2,000 rows are 2M dot products (about a second of one core),
 * about what building an index over them costs (docs/duplicates.md).
 */
export const EXACT_PAIR_ROWS = 2000;

/**
 * Duplicates are each other's very nearest neighbours, so the index can be lighter than search's (m 32,
 * efConstruction 200): docs/duplicates.md has the build times and the recall of planted pairs.
 */
export const DEDUP_HNSW_SETTINGS: Partial<HnswSettings> = {m: 16, efConstruction: 100, efSearch: 64};

export interface ClipPairOptions {
  threshold: number;
  /** Neighbours asked per row from `neighbours` (default 10). */
  k?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A yield point every ~50 ms: resolves false when the signal aborted. */
function pacer(options: ClipPairOptions) {
  let last = performance.now();
  return async (fraction: number): Promise<boolean> => {
    if (performance.now() - last < 50) return true;
    options.onProgress?.(fraction);
    await yieldToEventLoop();
    last = performance.now();
    return !options.signal?.aborted;
  };
}

/** Every pair a < b with cosine >= threshold, by scoring all pairs. */
export async function forEachExactClipPair(
  matrix: EmbeddingMatrix,
  visit: (a: number, b: number, score: number) => void,
  options: ClipPairOptions,
): Promise<{interrupted: boolean}> {
  const {rows, dims} = matrix;
  const scores = new Float64Array(rows);
  const pace = pacer(options);
  const totalPairs = (rows * (rows - 1)) / 2 || 1;
  for (let a = 0; a < rows; a++) {
    const query = matrix.data.subarray(a * dims, (a + 1) * dims);
    scoreBlock(matrix, query, a + 1, rows, scores);
    for (let b = a + 1; b < rows; b++)
      if (scores[b - a - 1]! >= options.threshold) visit(a, b, scores[b - a - 1]!);
    const pairsDone = totalPairs - ((rows - a - 1) * (rows - a - 2)) / 2;
    if (!(await pace(pairsDone / totalPairs))) return {interrupted: true};
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
  return (row, k) => index.search(matrix.data.subarray(row * dims, (row + 1) * dims), k);
}
