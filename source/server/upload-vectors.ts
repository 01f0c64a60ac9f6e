/**
 * The vectors of an upload batch: each file is probed (not an image: a failure), named by its content
 * (uploads/<sha256 prefix>.<format>, so the same picture twice is one row), and embedded unless the collection or
 * the embedding cache has it already.
 */
import {createHash} from 'node:crypto';
import type {EmbeddingCachePort} from '../core/embed/cache-port.js';
import type {Embedder} from '../core/embed/embedder.js';
import {modelCacheId} from '../core/embed/read-batch.js';
import {probeImage} from '../core/image/sharp-image.js';
import type {EmbedUploadResult} from './backend.js';

export const UPLOAD_FOLDER = 'uploads';

export interface AcceptedUpload {
  file: string;
  data: Uint8Array;
  sha256: string;
  vector: Float32Array;
  cached: boolean;
}

export interface UploadVectors {
  accepted: AcceptedUpload[];
  /** Uploads the collection holds already. */
  existing: EmbedUploadResult['added'];
  failed: EmbedUploadResult['failed'];
}

export async function uploadVectors(options: {
  files: {name: string; data: Uint8Array}[];
  /** Row id of each file the collection holds. */
  known: ReadonlyMap<string, number>;
  embedder: () => Promise<Embedder>;
  cache: EmbeddingCachePort | undefined;
}): Promise<UploadVectors> {
  const failed: EmbedUploadResult['failed'] = [];
  const fresh: {file: string; data: Uint8Array; sha256: string}[] = [];
  const existing: EmbedUploadResult['added'] = [];
  for (const upload of options.files) {
    const probe = await probeImage(upload.data).catch((error: Error) => error);
    if (probe instanceof Error) {
      failed.push({file: upload.name, reason: probe.message});
      continue;
    }
    const sha256 = createHash('sha256').update(upload.data).digest('hex');
    const file = `${UPLOAD_FOLDER}/${sha256.slice(0, 24)}.${probe.format === 'jpeg' ? 'jpg' : probe.format}`;
    const id = options.known.get(file);
    if (id !== undefined) existing.push({id, file});
    else if (!fresh.some((item) => item.file === file)) fresh.push({file, data: upload.data, sha256});
  }
  if (fresh.length === 0) return {accepted: [], existing, failed};

  const model = await options.embedder();
  const cacheModel = await modelCacheId(model);
  const keys = fresh.map((item) => ({
    sha256: item.sha256,
    model: cacheModel,
    dtype: model.dtype,
    preprocessVersion: model.preprocessVersion,
  }));
  const cached = options.cache?.getMany(keys) ?? new Map<string, Float32Array>();
  const misses = fresh.filter((item) => !cached.has(item.sha256));
  const results = await model.embedFiles(misses.map((item) => ({id: item.sha256, data: item.data})));
  const vectors = new Map(cached);
  for (const result of results) {
    if (result.ok) vectors.set(result.id, result.vector);
    else
      failed.push({
        file: misses.find((item) => item.sha256 === result.id)?.file ?? result.id,
        reason: result.reason,
      });
  }
  options.cache?.putMany(
    results.flatMap((result, index) =>
      result.ok ? [{key: keys[fresh.indexOf(misses[index]!)]!, vector: result.vector}] : [],
    ),
  );
  const accepted = fresh.flatMap((item) => {
    const vector = vectors.get(item.sha256);
    return vector ? [{...item, vector, cached: cached.has(item.sha256)}] : [];
  });
  return {accepted, existing, failed};
}
