/**
 * Getting one batch ready for inference: read each file once, hash it, take what the cache already has, and
 * preprocess the rest into one tensor. A file that cannot be read, does not start like an image or is too large
 * for one is a failure, like one that cannot be decoded.
 */
import {createHash} from 'node:crypto';
import {constants} from 'node:fs';
import {type FileHandle, open, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {describeNonImage, sniffImageType} from '../download/sniff.js';
import {describeError} from '../errors.js';
import type {CacheKey, EmbeddingCachePort} from './cache-port.js';
import {mapWithConcurrency} from './concurrency.js';
import type {Embedder} from './embedder.js';
import type {FoundFile} from './file-walk.js';
import type {PreparedBatch} from './preprocess-batch.js';

/** Files read at once: reading is I/O, so a few in flight hide latency without holding many files in memory. */
const READ_CONCURRENCY = 4;

/** A file to embed; a producer that already holds its bytes (and their hash) can hand them over. */
export interface ImageItem extends FoundFile {
  data?: Uint8Array;
  sha256?: string;
}

export interface ReadyBatch<F extends FoundFile = FoundFile> {
  files: F[];
  /** Per file: a cached vector, a read failure, or undefined (its result comes from inference). */
  known: (Float32Array | {reason: string} | undefined)[];
  /** Per file: its cache key (undefined when it could not be read). */
  keys: (CacheKey | undefined)[];
  /** Per file: its size and mtime as read (what the collection's sync compares it by next time). */
  facts: (FileFacts | undefined)[];
  prepared: PreparedBatch;
  ms: number;
}

export interface FileFacts {
  bytes: number;
  mtime_ms: number;
}

/** Identifies the weights for the cache: a re-pulled or different graph gets new keys. */
export async function modelCacheId(embedder: Embedder): Promise<string> {
  const info = await stat(join(embedder.modelDir, embedder.modelFile));
  return `${embedder.modelName}:${embedder.modelFile}:${info.size}:${Math.floor(info.mtimeMs)}`;
}

type Read = {bytes: Uint8Array; sha256: string; facts: FileFacts} | {reason: string};

/** Enough for every signature sniffImageType knows. */
const SIGNATURE_BYTES = 64;

/**
 * The most one image file may take: a file is read whole into memory (a batch holds several), so a larger one is
 * refused from its size alone. JPEGs and PNGs within the 100-megapixel decode limit stay far below it; only an
 * uncompressed 16-bit TIFF near that limit could pass it.
 */
export const MAX_IMAGE_FILE_BYTES = 256 * 2 ** 20;

/**
 * Reads a file the walk found, after its size and first bytes show it can be an image: a 2 GB video named
 * .jpg is refused from 64 bytes. Non-blocking open, so a path swapped for a named pipe since the walk cannot hang.
 */
async function readAndHash(file: ImageItem): Promise<Read> {
  if (file.data) return handedOver(file, file.data);
  let handle: FileHandle | undefined;
  try {
    handle = await open(file.absolute, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const info = await handle.stat();
    if (!info.isFile()) return {reason: 'not a regular file'};
    if (info.size === 0) return {reason: 'empty file (0 bytes)'};
    const head = Buffer.alloc(Math.min(SIGNATURE_BYTES, info.size));
    await handle.read(head, 0, head.length, 0);
    if (sniffImageType(head) === null) return {reason: `not an image: ${describeNonImage(head)} (not read)`};
    if (info.size > MAX_IMAGE_FILE_BYTES) {
      return {
        reason: `${formatMiB(info.size)} is over the ${formatMiB(MAX_IMAGE_FILE_BYTES)} one image file may take (not read)`,
      };
    }
    const bytes = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const {bytesRead} = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const read = bytes.subarray(0, filled);
    return {
      bytes: read,
      sha256: createHash('sha256').update(read).digest('hex'),
      facts: {bytes: filled, mtime_ms: Math.floor(info.mtimeMs)},
    };
  } catch (error) {
    return {reason: `cannot read file: ${describeError(error)}`};
  } finally {
    await handle?.close();
  }
}

/** Bytes a producer handed over: only the file's mtime is read, for the collection's record of it. */
async function handedOver(file: ImageItem, data: Uint8Array): Promise<Read> {
  try {
    const info = await stat(file.absolute);
    return {
      bytes: data,
      sha256: file.sha256 ?? createHash('sha256').update(data).digest('hex'),
      facts: {bytes: data.length, mtime_ms: Math.floor(info.mtimeMs)},
    };
  } catch (error) {
    return {reason: `cannot read file: ${describeError(error)}`};
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;
}

export async function batchPreparer(
  embedder: Embedder,
  cache: EmbeddingCachePort | undefined,
  clock: () => number,
): Promise<<F extends ImageItem>(files: F[]) => Promise<ReadyBatch<F>>> {
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
    const facts = reads.map((read) => ('facts' in read ? read.facts : undefined));
    const prepared = await embedder.prepare(misses);
    return {files, known, keys, facts, prepared, ms: clock() - begin};
  };
}
