/**
 * Recall@k of an approximate index against exact search: for each query, the fraction of the exact top-k rows the
 * index also returned, averaged. Queries are given vectors, or rows sampled from the matrix (deterministically).
 */

import {seededRandom} from '../random.js';
import {type EmbeddingMatrix, exactSearch} from './exact-search.js';
import type {AnnIndex, RecallReport} from './hnsw-index.js';

export {seededRandom};

export function sampleRows(matrix: EmbeddingMatrix, count: number, seed = 7): Float32Array[] {
  const random = seededRandom(seed);
  const picks = Math.min(count, matrix.rows);
  const queries: Float32Array[] = [];
  for (let i = 0; i < picks; i++) {
    const row = Math.floor(random() * matrix.rows);
    queries.push(matrix.data.slice(row * matrix.dims, (row + 1) * matrix.dims));
  }
  return queries;
}

export function measureRecall(
  matrix: EmbeddingMatrix,
  index: AnnIndex,
  options: {k?: number; queries: readonly Float32Array[]; efSearch?: number},
): RecallReport {
  const k = Math.min(options.k ?? 10, matrix.rows);
  const efSearch = options.efSearch ?? index.efSearch;
  let total = 0;
  for (const query of options.queries) {
    const truth = new Set(exactSearch(matrix, query, k).map((hit) => hit.row));
    const found = index.search(query, k, efSearch);
    let hits = 0;
    for (const hit of found) if (truth.has(hit.row)) hits++;
    total += k === 0 ? 1 : hits / k;
  }
  const queries = options.queries.length;
  return {k, queries, efSearch, recall: queries === 0 ? 1 : total / queries};
}
