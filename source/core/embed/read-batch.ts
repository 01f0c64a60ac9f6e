/**
 * Getting one batch ready for inference: read each file once, hash it, take what the cache already has, and
 * preprocess the rest into one tensor. A file that cannot be read is a failure, like one that cannot be decoded.
 */
import {createHash} from 'node:crypto';
import {readFile, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {describeError} from '../errors.js';
import type {CacheKey, EmbeddingCachePort} from './cache-port.js';
import {mapWithConcurrency} from './concurrency.js';
import type {Embedder} from './embedder.js';
import type {FoundFile} from './file-walk.js';
import type {PreparedBatch} from './preprocess-batch.js';

/** Files read at once: reading is I/O, so a few in flight hide latency without holding many files in memory. */
const READ_CONCURRENCY = 4;

export interface ReadyBatch {
  files: FoundFile[];
  /** Per file: a cached vector, a read failure, or undefined (its result comes from inference). */
  known: (Float32Array | {reason: string} | undefined)[];
  /** Per file: its cache key (undefined when it could not be read). */
  keys: (CacheKey | undefined)[];
  prepared: PreparedBatch;
  ms: number;
}

/** Identifies the weights for the cache: a re-pulled or different graph gets new keys. */
export async function modelCacheId(embedder: Embedder): Promise<string> {
  const info = await stat(join(embedder.modelDir, embedder.modelFile));
  return `${embedder.modelName}:${embedder.modelFile}:${info.size}:${Math.floor(info.mtimeMs)}`;
}

type Read = {bytes: Uint8Array; sha256: string} | {reason: string};

async function readAndHash(file: FoundFile): Promise<Read> {
  try {
    const bytes = await readFile(file.absolute);
    return {bytes, sha256: createHash('sha256').update(bytes).digest('hex')};
  } catch (error) {
    return {reason: `cannot read file: ${describeError(error)}`};
  }
}

export async function batchPreparer(
  embedder: Embedder,
  cache: EmbeddingCachePort | undefined,
  clock: () => number,
): Promise<(files: FoundFile[]) => Promise<ReadyBatch>> {
  const model = cache ? await modelCacheId(embedder) : '';
  const keyFor = (sha256: string): CacheKey => ({
    sha256,
    model,
    dtype: embedder.dtype,
    preprocessVersion: embedder.preprocessVersion,
  });
  return async (files) => {
    const begin = clock();
    const reads = await mapWithConcurrency(files, READ_CONCURRENCY, readAndHash);
    const keys = reads.map((read) => ('sha256' in read ? keyFor(read.sha256) : undefined));
    const hits = cache
      ? cache.getMany(keys.filter((key) => key !== undefined))
      : new Map<string, Float32Array>();
    const known = reads.map((read, index) =>
      'reason' in read ? {reason: read.reason} : hits.get(keys[index]?.sha256 ?? ''),
    );
    const misses = files.flatMap((file, index) => {
      const read = reads[index];
      return known[index] === undefined && read && 'bytes' in read
        ? [{id: file.relative, data: read.bytes}]
        : [];
    });
    const prepared = await embedder.prepare(misses);
    return {files, known, keys, prepared, ms: clock() - begin};
  };
}
