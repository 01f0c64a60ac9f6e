/**
 * An embeddings folder kept open for search while images are added to it (serve's uploads): its searcher (text
 * model warm), and appends serialised one at a time. In a collection each append commits a shard and the searcher
 * grows in place by its rows (a search sees all of them or none); the merged view is refreshed on close. A folder
 * of plain outputs is rewritten whole, as before collections.
 */
import {mkdir} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {openCollectionWriter} from '../collection/writer.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import {createEmbedder, type Embedder} from '../embed/embedder.js';
import type {EmbedMetadata} from '../embed/metadata.js';
import {isUserError} from '../errors.js';
import {isDtype} from '../model/dtype.js';
import {type EmbeddingCollection, loadEmbeddingCollection} from '../search/embedding-collection.js';
import {createSearcher, type IndexChoice, type Searcher} from '../search/searcher.js';
import {appendShard, type KnownShards} from './append-shard.js';
import {embedUploads} from './embed-uploads.js';
import {readLegacyMetadata, rewriteWithUploads} from './legacy-append.js';
import {type AppendReport, type ImageBytes, nameUploads, UPLOAD_FOLDER} from './name-uploads.js';

export interface LiveCollectionOptions {
  embeddingsDir: string;
  modelsDir: string;
  model?: string;
  index?: IndexChoice;
  cache?: EmbeddingCachePort;
}

export interface LiveCollection {
  /** The current searcher: replaced when the collection had to be read again. */
  readonly searcher: Searcher;
  /** The images folder the rows' files are relative to ('' when the outputs do not say). */
  readonly imagesDir: string;
  /** Adds images; appends run one at a time. A CollectionBusyError when another writer holds the lock. */
  append(files: ImageBytes[]): Promise<AppendReport>;
  close(): Promise<void>;
}

export async function openLiveCollection(options: LiveCollectionOptions): Promise<LiveCollection> {
  const dir = resolve(options.embeddingsDir);
  const open = async (collection?: EmbeddingCollection): Promise<Searcher> =>
    createSearcher({
      embeddingsDir: dir,
      modelsDir: options.modelsDir,
      model: options.model,
      index: options.index,
      collection: collection ?? (await loadEmbeddingCollection(dir)),
    });
  const collection = await loadEmbeddingCollection(dir);
  let searcher = await open(collection);
  const isCollection = collection.shards !== undefined;
  let known: KnownShards = collection.shards ?? {ids: [], tombstones: 0};
  let legacy: EmbedMetadata | undefined = isCollection ? undefined : await readLegacyMetadata(dir);
  const imagesDir = collection.imagesDir ?? legacy?.input_dir ?? '';
  let embedder: Promise<Embedder> | undefined;
  let writing: Promise<unknown> = Promise.resolve();
  let viewStale = false;

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
  const replaceSearcher = async (next: Searcher): Promise<void> => {
    const old = searcher;
    searcher = next;
    await old.close();
  };

  // Row id by file, kept across appends: only the rows added since are indexed again.
  let ids: {of: Searcher; rows: number; map: Map<string, number>} | undefined;
  const rowIds = (): Map<string, number> => {
    if (ids?.of !== searcher) ids = {of: searcher, rows: 0, map: new Map()};
    for (; ids.rows < searcher.count; ids.rows++) ids.map.set(searcher.files[ids.rows]!, ids.rows);
    return ids.map;
  };

  async function append(files: ImageBytes[]): Promise<AppendReport> {
    const {fresh, existing, failed} = await nameUploads(files, rowIds());
    if (fresh.length === 0) return {added: existing, failed};
    await mkdir(join(imagesDir, UPLOAD_FOLDER), {recursive: true});
    const model = await openEmbedder();
    const input = {imagesDir, uploads: fresh, embedder: model, cache: options.cache};
    let embedded: {files: string[]; failures: AppendReport['failed']};
    if (isCollection) {
      const result = await appendShard({...input, dir, searcher, known});
      embedded = result;
      known = result.known;
      viewStale = true;
      if (result.reread) {
        const reread = await loadEmbeddingCollection(dir);
        known = reread.shards ?? known;
        await replaceSearcher(await open(reread));
      }
    } else {
      // The rows are kept by embedUploads; the three files are rewritten once, below.
      const result = await embedUploads({...input, sink: {append: async () => []}});
      embedded = result;
      if (result.files.length > 0) {
        legacy = await rewriteWithUploads(dir, legacy!, result);
        await replaceSearcher(await open());
      }
    }
    // The new rows are the collection's last, whichever way the searcher grew.
    const first = searcher.count - embedded.files.length;
    const added = embedded.files.map((file, index) => ({id: first + index, file}));
    return {added: [...existing, ...added], failed: [...failed, ...embedded.failures]};
  }

  /** The merged view, rebuilt once at the end rather than per append (it is a full copy of the rows). */
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
    get searcher() {
      return searcher;
    },
    imagesDir,
    append(files) {
      const job = writing.then(() => append(files));
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
