/**
 * `search --build-index`: builds the HNSW index over a folder's embeddings, measures its recall@k against exact
 * search on rows sampled from the collection, and saves both beside the embeddings.
 */
import {loadEmbeddingCollection} from './embedding-collection.js';
import {
  buildHnswIndex,
  type HnswIndexMeta,
  type HnswSettings,
  type IndexBuildEvent,
  saveHnswIndex,
} from './hnsw-index.js';
import {measureRecall, sampleRows} from './recall.js';

export type BuildIndexEvent = IndexBuildEvent | {type: 'recall'; queries: number; k: number};

export interface BuildIndexOptions {
  embeddingsDir: string;
  settings?: Partial<HnswSettings>;
  /** Sampled stored rows used as queries to measure recall. */
  recallQueries?: number;
  recallK?: number;
  signal?: AbortSignal;
  onEvent?: (event: BuildIndexEvent) => void;
}

export async function buildSearchIndex(options: BuildIndexOptions): Promise<HnswIndexMeta> {
  const collection = await loadEmbeddingCollection(options.embeddingsDir);
  const index = await buildHnswIndex(collection.matrix, {
    settings: options.settings,
    signal: options.signal,
    onEvent: options.onEvent,
  });
  const queries = sampleRows(collection.matrix, options.recallQueries ?? 200);
  const k = options.recallK ?? 10;
  options.onEvent?.({type: 'recall', queries: queries.length, k});
  const recall = measureRecall(collection.matrix, index, {k, queries});
  options.signal?.throwIfAborted();
  return saveHnswIndex(collection.dir, index, {
    embeddingsSha256: collection.embeddingsSha256,
    builtAt: new Date().toISOString(),
    recall,
  });
}
