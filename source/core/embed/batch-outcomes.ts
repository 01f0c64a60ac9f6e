/**
 * Where each file of an inferred batch ends up: a row of the output, with its vector from the cache or from the
 * model, or a failure (unreadable, undecodable, or left without a result). The vectors the model made come back
 * with their cache keys, so the pipeline can store them.
 */
import type {ImageInfo} from '../collection/types.js';
import type {CacheKey} from './cache-port.js';
import type {EmbedResult} from './infer-batch.js';
import type {ReadyBatch} from './read-batch.js';

export interface BatchOutcomes {
  /** The batch's rows of the output and their files, in file order. */
  rows: Float32Array[];
  filenames: string[];
  /** Each row's file as read (SHA-256, size, mtime), aligned with `rows`. */
  images: ImageInfo[];
  failures: {file: string; reason: string}[];
  cacheHits: number;
  /** Vectors the model made, for the cache. */
  fresh: {key: CacheKey; vector: Float32Array}[];
}

export function batchOutcomes(ready: ReadyBatch, results: EmbedResult[]): BatchOutcomes {
  const byId = new Map<string, EmbedResult>(results.map((result) => [result.id, result]));
  const outcomes: BatchOutcomes = {
    rows: [],
    filenames: [],
    images: [],
    failures: [],
    cacheHits: 0,
    fresh: [],
  };
  ready.files.forEach((file, index) => {
    const known = ready.known[index];
    let outcome: {vector: Float32Array; phash?: string} | {reason: string};
    if (known instanceof Float32Array) {
      outcome = {vector: known};
      outcomes.cacheHits++;
    } else if (known) {
      outcome = known;
    } else {
      const result = byId.get(file.relative);
      outcome = result?.ok
        ? {vector: result.vector, phash: result.phash}
        : {reason: result?.reason ?? 'not embedded'};
      const key = ready.keys[index];
      if (result?.ok && key) outcomes.fresh.push({key, vector: result.vector});
    }
    if ('vector' in outcome) {
      outcomes.rows.push(outcome.vector);
      outcomes.filenames.push(file.relative);
      const facts = ready.facts[index];
      outcomes.images.push({
        sha256: ready.keys[index]?.sha256 ?? '',
        bytes: facts?.bytes ?? 0,
        mtime_ms: facts?.mtime_ms ?? 0,
        // Null for cache hits: no decode happened, so no perceptual hash was made.
        phash: outcome.phash ?? null,
      });
    } else {
      outcomes.failures.push({file: file.relative, reason: outcome.reason});
    }
  });
  return outcomes;
}
