/**
 * Uploads into a collection: embedded by the pipeline's batch loop into a writer held under the collection's lock,
 * committed as a new shard (no committed shard is rewritten), then the in-memory searcher grows by the new rows.
 * Shards another writer committed since the searcher read the collection are read first (only those), so row ids
 * stay the collection's; when rows were tombstoned meanwhile, the caller re-reads the collection instead.
 */
import {openCollectionWriter} from '../collection/writer.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import type {Embedder} from '../embed/embedder.js';
import {modelFactsOf} from '../embed/model-facts.js';
import {isUserError, UserError} from '../errors.js';
import type {Searcher} from '../search/searcher.js';
import {catchUp, type KnownShards, knownShardsOf} from './catch-up.js';
import {type EmbeddedUploads, embedUploads} from './embed-uploads.js';
import type {NamedUpload} from './name-uploads.js';

/** Another writer (an embed of the folder) holds the collection's lock: the client may try again later. */
export class CollectionBusyError extends UserError {}

export type {KnownShards} from './catch-up.js';

export async function appendShard(options: {
  dir: string;
  imagesDir: string;
  uploads: NamedUpload[];
  embedder: Embedder;
  cache: EmbeddingCachePort | undefined;
  searcher: Searcher;
  known: KnownShards;
}): Promise<EmbeddedUploads & {known: KnownShards; reread: boolean}> {
  const {dir, embedder, searcher, known} = options;
  const writer = await openCollectionWriter({
    embeddingsDir: dir,
    command: 'visual-cortex serve (upload)',
  }).catch((error: unknown) => {
    if (isUserError(error)) throw new CollectionBusyError(`cannot add images now: ${error.message}`);
    throw error;
  });
  try {
    await writer.bind({imagesDir: options.imagesDir, model: modelFactsOf(embedder), dims: embedder.dims});
    const state = writer.state;
    if (!state) throw new Error(`${dir} is no longer a collection`);
    const reread = (await catchUp(searcher, state, known)) === 'reread';
    const embedded = await embedUploads({...options, sink: writer});
    await writer.commit();
    if (!reread) searcher.append(embedded.rows, embedded.files);
    return {...embedded, known: knownShardsOf(writer.state ?? state), reread};
  } finally {
    await writer.close();
  }
}
