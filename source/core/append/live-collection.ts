/**
 * An embeddings folder kept open for search while images are added to it (serve's uploads): its searcher (text
 * model warm), and appends serialised one at a time. In a collection each append commits a shard and the searcher
 * grows in place by its rows (a search sees all of them or none); the merged view is refreshed on close. A folder
 * of plain outputs is rewritten whole, as before collections.
 */
import {mkdir} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {MANIFEST_FILE, SHARDS_DIR, VIEW_FILES} from '../collection/layout.js';
import {readCollectionState} from '../collection/state.js';
import {openCollectionWriter} from '../collection/writer.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import {createEmbedder, type Embedder} from '../embed/embedder.js';
import type {EmbedMetadata} from '../embed/metadata.js';
import {isUserError} from '../errors.js';
import {isDtype} from '../model/dtype.js';
import {type EmbeddingCollection, loadEmbeddingCollection} from '../search/embedding-collection.js';
import type {SearchFilters} from '../search/result-filter.js';
import {createSearcher, type IndexChoice, type Searcher} from '../search/searcher.js';
import {appendShard, type KnownShards} from './append-shard.js';
import {catchUp} from './catch-up.js';
import {embedUploads} from './embed-uploads.js';
import {readLegacyMetadata, rewriteWithUploads} from './legacy-append.js';
import {type AppendReport, type ImageBytes, nameUploads, UPLOAD_FOLDER} from './name-uploads.js';
import {createSearcherSlot, folderStamp} from './searcher-slot.js';

/** How often a search looks for commits other processes made (a stat of three paths). */
export const FOLLOW_INTERVAL_MS = 1000;

export interface LiveCollectionOptions {
  embeddingsDir: string;
  modelsDir: string;
  model?: string;
  index?: IndexChoice;
  cache?: EmbeddingCachePort;
  /** Default FOLLOW_INTERVAL_MS (tests pass 0). */
  followIntervalMs?: number;
}

export interface LiveCollection {
  /** The current searcher: replaced when the collection had to be read again. */
  readonly searcher: Searcher;
  /**
   * Searches the collection as it is now: first takes in what other processes committed since the last look (an
   * embed, a cluster worker, `duplicates --apply`), at most once per followIntervalMs.
   */
  search: Searcher['search'];
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
  // Taken before reading, so a commit made while the folder is read shows up as a change at the next look.
  const stampOf = async () =>
    (
      await Promise.all(
        [MANIFEST_FILE, SHARDS_DIR, VIEW_FILES.metadata].map((name) => folderStamp(join(dir, name))),
      )
    ).join('|');
  let stamp = await stampOf();
  const collection = await loadEmbeddingCollection(dir);
  const slot = createSearcherSlot(await open(collection));
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
  const replaceSearcher = (next: Searcher): Promise<void> => slot.replace(next);

  // Row id by file, kept across appends: only the rows added since are indexed again.
  let ids: {of: Searcher; rows: number; map: Map<string, number>} | undefined;
  const rowIds = (): Map<string, number> => {
    const searcher = slot.current;
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
      const result = await appendShard({...input, dir, searcher: slot.current, known});
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
    const first = slot.current.count - embedded.files.length;
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

  /** Takes in other processes' commits: new shards grow the searcher; anything else re-reads the folder. */
  async function follow(): Promise<void> {
    const now = await stampOf();
    if (now === stamp) return;
    stamp = now;
    const state = isCollection ? await readCollectionState(dir) : null;
    const grown = state ? await catchUp(slot.current, state, known) : 'reread';
    if (grown !== 'reread') {
      known = grown;
      return;
    }
    const reread = await loadEmbeddingCollection(dir);
    known = reread.shards ?? known;
    if (!isCollection) legacy = await readLegacyMetadata(dir);
    await replaceSearcher(await open(reread));
  }
  const interval = options.followIntervalMs ?? FOLLOW_INTERVAL_MS;
  let lookedAt = Number.NEGATIVE_INFINITY;
  let following: Promise<void> | undefined;
  let appending = false;
  const look = (): Promise<void> => {
    // An append in progress catches up under the lock itself; a look already under way is shared.
    if (appending || performance.now() - lookedAt < interval) return following ?? Promise.resolve();
    lookedAt = performance.now();
    // A folder that cannot be read right now keeps the searcher it has; the next look tries again.
    following ??= follow()
      .catch(() => {
        stamp = '';
      })
      .finally(() => {
        following = undefined;
      });
    return following;
  };

  return {
    get searcher() {
      return slot.current;
    },
    async search(query, k, filters?: SearchFilters) {
      await look();
      return slot.use((searcher) => searcher.search(query, k, filters));
    },
    imagesDir,
    append(files) {
      const job = writing.then(async () => {
        await following;
        appending = true;
        try {
          return await append(files);
        } finally {
          // This process's own commit is not news to it.
          stamp = await stampOf();
          appending = false;
        }
      });
      writing = job.catch(() => undefined);
      return job;
    },
    async close() {
      await writing;
      await following;
      try {
        await refreshView();
      } finally {
        await slot.close();
        if (embedder) await (await embedder).close();
        options.cache?.close();
      }
    },
  };
}
