/**
 * Exact nearest neighbours by inner product over the stored row-major matrix (rows are L2-normalised, so the score
 * is the cosine). Rows are scored a block at a time into one reusable buffer (no per-row allocation), with a
 * four-way unrolled dot product, and streamed through a bounded top-k heap.
 */
import {type ScoredRow, TopK} from './top-k.js';

export interface EmbeddingMatrix {
  /** rows x dims, row-major. */
  data: Float32Array;
  rows: number;
  dims: number;
}

const BLOCK_ROWS = 1024;

/** Writes the dot product of `query` with rows [start, end) into out[0 .. end-start). */
export function scoreBlock(
  matrix: EmbeddingMatrix,
  query: Float32Array,
  start: number,
  end: number,
  out: Float32Array | Float64Array,
): void {
  const {data, dims} = matrix;
  const tail = dims - (dims % 4);
  for (let row = start; row < end; row++) {
    const base = row * dims;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < tail; i += 4) {
      s0 += data[base + i]! * query[i]!;
      s1 += data[base + i + 1]! * query[i + 1]!;
      s2 += data[base + i + 2]! * query[i + 2]!;
      s3 += data[base + i + 3]! * query[i + 3]!;
    }
    for (; i < dims; i++) s0 += data[base + i]! * query[i]!;
    out[row - start] = s0 + s1 + s2 + s3;
  }
}

export interface ExactSearchOptions {
  /** Rows to leave out (e.g. the query's own row in "more like this"). */
  exclude?: ReadonlySet<number>;
  /** Only rows this accepts (e.g. those under a subfolder). */
  include?: (row: number) => boolean;
}

export function exactSearch(
  matrix: EmbeddingMatrix,
  query: Float32Array,
  k: number,
  options: ExactSearchOptions = {},
): ScoredRow[] {
  if (query.length !== matrix.dims)
    throw new RangeError(`query has ${query.length} dimensions, the matrix ${matrix.dims}`);
  const top = new TopK(Math.min(k, matrix.rows));
  const scores = new Float64Array(Math.min(BLOCK_ROWS, matrix.rows));
  const {exclude, include} = options;
  for (let start = 0; start < matrix.rows; start += BLOCK_ROWS) {
    const end = Math.min(start + BLOCK_ROWS, matrix.rows);
    scoreBlock(matrix, query, start, end, scores);
    for (let row = start; row < end; row++) {
      const score = scores[row - start]!;
      if (score < top.threshold) continue;
      if (exclude?.has(row)) continue;
      if (include && !include(row)) continue;
      top.push(row, score);
    }
  }
  return top.sorted();
}
