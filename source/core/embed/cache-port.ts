/**
 * What the embed pipeline needs from an embedding cache (the SQLite one lives in core/cache). A vector is reused
 * only when the file bytes, the model, the dtype and the preprocessing all match.
 */
import type {Dtype} from '../model/model-folder.js';

export interface CacheKey {
  /** SHA-256 of the file's bytes, lowercase hex. */
  sha256: string;
  /** Identifies the weights: model name, graph file, its size and mtime (see modelCacheId). */
  model: string;
  dtype: Dtype;
  preprocessVersion: string;
}

export interface EmbeddingCachePort {
  /** Vectors found, keyed by sha256. */
  getMany(keys: CacheKey[]): Map<string, Float32Array>;
  putMany(entries: {key: CacheKey; vector: Float32Array}[]): void;
  close(): void;
}
