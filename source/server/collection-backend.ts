/**
 * The real ServeBackend: one embeddings folder, its searcher (text model kept warm), and uploads embedded into
 * the collection through the embedding cache. Writes are serialised; each one rewrites the outputs atomically and
 * swaps in a fresh searcher, so a reader never sees a half-grown collection.
 */
import {createHash} from 'node:crypto';
import {mkdir, readFile, realpath, writeFile} from 'node:fs/promises';
import {isAbsolute, join, relative, resolve, sep} from 'node:path';
import type {EmbeddingCachePort} from '../core/embed/cache-port.js';
import {createEmbedder, type Embedder} from '../core/embed/embedder.js';
import type {EmbedMetadata} from '../core/embed/metadata.js';
import {outputPaths, writeEmbeddingOutputs} from '../core/embed/outputs.js';
import {modelCacheId} from '../core/embed/read-batch.js';
import {isUserError} from '../core/errors.js';
import {probeImage} from '../core/image/sharp-image.js';
import {isDtype} from '../core/model/model-folder.js';
import {readFloat32Matrix, readUnicodeArray} from '../core/npy.js';
import {imageQuery, rowQuery} from '../core/search/query.js';
import {createSearcher, type IndexChoice} from '../core/search/searcher.js';
import {
  BadQueryError,
  clientQuery,
  type EmbedUploadResult,
  type SearchHit,
  type ServeBackend,
} from './backend.js';

export interface CollectionBackendOptions {
  dir: string;
  modelsDir: string;
  model?: string;
  index?: IndexChoice;
  cache?: EmbeddingCachePort;
}

const UPLOAD_FOLDER = 'uploads';

export async function openCollectionBackend(options: CollectionBackendOptions): Promise<ServeBackend> {
  const dir = resolve(options.dir);
  let searcher = await createSearcher({
    dir,
    modelsDir: options.modelsDir,
    model: options.model,
    index: options.index,
  });
  let metadata = await readMetadata(dir);
  let embedder: Promise<Embedder> | undefined;
  let writing: Promise<unknown> = Promise.resolve();

  const asBadQuery = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isUserError(error)) throw new BadQueryError(error.message);
      throw error;
    }
  };

  const imagesRoot = async (): Promise<string> => realpath(metadata.input_dir);

  async function embedUploads(files: {name: string; data: Uint8Array}[]): Promise<EmbedUploadResult> {
    const root = await imagesRoot();
    const uploads = join(root, UPLOAD_FOLDER);
    await mkdir(uploads, {recursive: true});
    const known = new Map(searcher.files.map((file, id) => [file, id]));
    const failed: EmbedUploadResult['failed'] = [];
    const fresh: {file: string; data: Uint8Array; sha256: string}[] = [];
    const existing: EmbedUploadResult['added'] = [];
    for (const upload of files) {
      const probe = await probeImage(upload.data).catch((error: Error) => error);
      if (probe instanceof Error) {
        failed.push({file: upload.name, reason: probe.message});
        continue;
      }
      const sha256 = createHash('sha256').update(upload.data).digest('hex');
      const file = `${UPLOAD_FOLDER}/${sha256.slice(0, 24)}.${probe.format === 'jpeg' ? 'jpg' : probe.format}`;
      const id = known.get(file);
      if (id !== undefined) existing.push({id, file});
      else if (!fresh.some((item) => item.file === file)) fresh.push({file, data: upload.data, sha256});
    }
    if (fresh.length === 0) return {added: existing, failed};

    embedder ??= createEmbedder({
      model: metadata.model.path,
      modelsDir: options.modelsDir,
      dtype: isDtype(metadata.model.dtype) ? metadata.model.dtype : 'fp32',
      device: 'cpu',
    });
    const model = await embedder;
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
    }
    options.cache?.putMany(
      results.flatMap((result, index) =>
        result.ok ? [{key: keys[fresh.indexOf(misses[index]!)]!, vector: result.vector}] : [],
      ),
    );
    const accepted = fresh.filter((item) => vectors.has(item.sha256));
    for (const result of results) {
      if (!result.ok)
        failed.push({
          file: misses.find((item) => item.sha256 === result.id)?.file ?? result.id,
          reason: result.reason,
        });
    }
    for (const item of accepted) await writeFile(join(root, item.file), item.data);

    const paths = outputPaths(dir);
    const matrix = readFloat32Matrix(await readFile(paths.embeddings));
    const names = readUnicodeArray(await readFile(paths.filenames));
    const grown = new Float32Array((matrix.rows + accepted.length) * matrix.columns);
    grown.set(matrix.data);
    for (const [index, item] of accepted.entries()) {
      grown.set(vectors.get(item.sha256)!, (matrix.rows + index) * matrix.columns);
    }
    const previous = metadata;
    const written = await writeEmbeddingOutputs(
      dir,
      {
        vectors: grown,
        count: matrix.rows + accepted.length,
        dims: matrix.columns,
        filenames: [...names, ...accepted.map((item) => item.file)],
      },
      () => {
        const {files: _files, ...rest} = previous;
        return {
          ...rest,
          counts: {
            ...rest.counts,
            inputs: rest.counts.inputs + accepted.length,
            ok: rest.counts.ok + accepted.length,
            cache_hits: rest.counts.cache_hits + accepted.filter((item) => cached.has(item.sha256)).length,
          },
          finished_at: new Date().toISOString(),
        };
      },
    );
    metadata = written.metadata;
    const next = await createSearcher({
      dir,
      modelsDir: options.modelsDir,
      model: options.model,
      index: options.index,
    });
    const old = searcher;
    searcher = next;
    await old.close();
    const added = accepted.map((item, index) => ({id: matrix.rows + index, file: item.file}));
    return {added: [...existing, ...added], failed};
  }

  return {
    stats: () => ({
      count: searcher.count,
      model: searcher.modelName,
      dtype: searcher.dtype,
      dims: searcher.dims,
      index: searcher.index,
    }),
    searchText: (query, k) =>
      asBadQuery(() => searcher.search(clientQuery(query), k)) as Promise<SearchHit[]>,
    searchImage: (bytes, k) => asBadQuery(() => searcher.search(imageQuery(bytes), k)),
    searchById: (id, k) => {
      if (id >= searcher.count) return Promise.reject(new BadQueryError(`no image with id ${id}`));
      return asBadQuery(() => searcher.search(rowQuery(id), k));
    },
    async imagePath(id) {
      const file = searcher.files[id];
      if (file === undefined) return undefined;
      const root = await imagesRoot();
      const candidate = await realpath(join(root, file)).catch(() => undefined);
      // Only files that really lie inside the dataset folder, whatever the filenames or symlinks say.
      if (candidate === undefined) return undefined;
      const inside = relative(root, candidate);
      if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
        return undefined;
      return candidate;
    },
    embedUploads(files) {
      const job = writing.then(() => embedUploads(files));
      writing = job.catch(() => undefined);
      return job;
    },
    async close() {
      await writing;
      await searcher.close();
      if (embedder) await (await embedder).close();
      options.cache?.close();
    },
  };
}

async function readMetadata(dir: string): Promise<EmbedMetadata> {
  return JSON.parse(await readFile(outputPaths(dir).metadata, 'utf8')) as EmbedMetadata;
}
