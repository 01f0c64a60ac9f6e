/**
 * The real ServeBackend: one embeddings folder, its searcher (text model kept warm), and uploads embedded into
 * the collection through the embedding cache. Writes are serialised. In a collection each upload batch appends
 * one shard and the searcher grows in place by its rows (a search sees all of them or none); the merged view is
 * refreshed when the server closes. A folder of plain outputs is rewritten whole, as before collections.
 */
import {mkdir, realpath, writeFile} from 'node:fs/promises';
import {isAbsolute, join, relative, resolve, sep} from 'node:path';
import {openCollectionWriter} from '../core/collection/writer.js';
import type {EmbeddingCachePort} from '../core/embed/cache-port.js';
import {createEmbedder, type Embedder} from '../core/embed/embedder.js';
import {isUserError} from '../core/errors.js';
import {isDtype} from '../core/model/model-folder.js';
import {type EmbeddingCollection, loadEmbeddingCollection} from '../core/search/embedding-collection.js';
import {imageQuery, rowQuery} from '../core/search/query.js';
import {createSearcher, type IndexChoice, type Searcher} from '../core/search/searcher.js';
import {BadQueryError, clientQuery, type EmbedUploadResult, type ServeBackend} from './backend.js';
import {appendUploads, type KnownShards} from './collection-append.js';
import {readLegacyMetadata, rewriteWithUploads} from './legacy-append.js';
import {UPLOAD_FOLDER, uploadVectors} from './upload-vectors.js';

export interface CollectionBackendOptions {
  dir: string;
  modelsDir: string;
  model?: string;
  index?: IndexChoice;
  cache?: EmbeddingCachePort;
}

export async function openCollectionBackend(options: CollectionBackendOptions): Promise<ServeBackend> {
  const dir = resolve(options.dir);
  const open = async (collection?: EmbeddingCollection): Promise<Searcher> =>
    createSearcher({
      dir,
      modelsDir: options.modelsDir,
      model: options.model,
      index: options.index,
      collection: collection ?? (await loadEmbeddingCollection(dir)),
    });
  const collection = await loadEmbeddingCollection(dir);
  let searcher = await open(collection);
  const isCollection = collection.shards !== undefined;
  let known: KnownShards = collection.shards ?? {ids: [], tombstones: 0};
  let legacy = isCollection ? undefined : await readLegacyMetadata(dir);
  const imagesDir = collection.imagesDir ?? legacy?.input_dir ?? '';
  let embedder: Promise<Embedder> | undefined;
  let writing: Promise<unknown> = Promise.resolve();
  let viewStale = false;

  const asBadQuery = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isUserError(error)) throw new BadQueryError(error.message);
      throw error;
    }
  };

  const imagesRoot = async (): Promise<string> => realpath(imagesDir);
  const openEmbedder = (): Promise<Embedder> => {
    const {path, dtype} = collection.model;
    embedder ??= createEmbedder({
      model: path ?? '',
      modelsDir: options.modelsDir,
      dtype: dtype && isDtype(dtype) ? dtype : 'fp32',
      device: 'cpu',
    });
    return embedder;
  };

  // Row id by file, kept across uploads: only the rows added since are indexed again.
  let ids: {of: Searcher; rows: number; map: Map<string, number>} | undefined;
  const rowIds = (): Map<string, number> => {
    if (ids?.of !== searcher) ids = {of: searcher, rows: 0, map: new Map()};
    for (; ids.rows < searcher.count; ids.rows++) ids.map.set(searcher.files[ids.rows]!, ids.rows);
    return ids.map;
  };

  async function embedUploads(files: {name: string; data: Uint8Array}[]): Promise<EmbedUploadResult> {
    const root = await imagesRoot();
    await mkdir(join(root, UPLOAD_FOLDER), {recursive: true});
    const {accepted, existing, failed} = await uploadVectors({
      files,
      known: rowIds(),
      embedder: openEmbedder,
      cache: options.cache,
    });
    if (accepted.length === 0) return {added: existing, failed};
    for (const item of accepted) await writeFile(join(root, item.file), item.data);

    if (isCollection) {
      const model = await openEmbedder();
      const result = await appendUploads({
        dir,
        imagesDir,
        model: {
          name: model.modelName,
          path: model.modelDir,
          file: model.modelFile,
          dtype: model.dtype,
          preprocess_version: model.preprocessVersion,
        },
        dims: model.dims,
        uploads: accepted,
        searcher,
        known,
      });
      known = result.known;
      viewStale = true;
      if (result.reread) {
        const reread = await loadEmbeddingCollection(dir);
        const next = await open(reread);
        known = reread.shards ?? known;
        const old = searcher;
        searcher = next;
        await old.close();
      }
    } else {
      legacy = await rewriteWithUploads(dir, legacy!, accepted);
      const next = await open();
      const old = searcher;
      searcher = next;
      await old.close();
    }
    // The new shard is the collection's last, so its rows are the last rows whichever way the searcher grew.
    const first = searcher.count - accepted.length;
    const added = accepted.map((item, index) => ({id: first + index, file: item.file}));
    return {added: [...existing, ...added], failed};
  }

  /** The merged view, rebuilt once at the end rather than per upload (it is a full copy of the rows). */
  async function refreshView(): Promise<void> {
    if (!viewStale) return;
    const writer = await openCollectionWriter({
      embeddingsDir: dir,
      command: 'visual-cortex serve (closing)',
    }).catch((error: unknown) => {
      // Another writer holds the collection; it (or `visual-cortex merge`) rebuilds the view.
      if (isUserError(error)) return undefined;
      throw error;
    });
    if (!writer) return;
    try {
      await writer.writeMergedView();
    } finally {
      await writer.close();
    }
  }

  return {
    stats: () => ({
      count: searcher.count,
      model: searcher.modelName,
      dtype: searcher.dtype,
      dims: searcher.dims,
      index: searcher.index,
    }),
    searchText: (query, k) => asBadQuery(() => searcher.search(clientQuery(query), k)),
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
      try {
        await refreshView();
      } finally {
        await searcher.close();
        if (embedder) await (await embedder).close();
        options.cache?.close();
      }
    },
  };
}
