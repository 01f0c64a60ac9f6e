/**
 * Serve's uploads into a collection: each upload batch is one new shard, committed under the collection's lock
 * (no committed shard is rewritten), then the in-memory searcher grows by the new rows. Shards another writer
 * committed since serve read the collection are read first (only those), so serve's row ids stay the collection's;
 * when rows were tombstoned meanwhile, the caller re-reads the collection instead.
 */
import {stat} from 'node:fs/promises';
import {join} from 'node:path';
import {readShardRows} from '../core/collection/reader.js';
import {tombstonesByShard} from '../core/collection/state.js';
import type {ModelFacts} from '../core/collection/types.js';
import {openCollectionWriter} from '../core/collection/writer.js';
import {isUserError} from '../core/errors.js';
import type {Searcher} from '../core/search/searcher.js';
import {BadQueryError} from './backend.js';
import type {AcceptedUpload} from './upload-vectors.js';

export interface KnownShards {
  ids: string[];
  tombstones: number;
}

export interface AppendResult {
  known: KnownShards;
  /** Rows were tombstoned since the searcher read the collection: it must be read again. */
  reread: boolean;
}

export async function appendUploads(options: {
  dir: string;
  imagesDir: string;
  model: ModelFacts;
  dims: number;
  uploads: AcceptedUpload[];
  searcher: Searcher;
  known: KnownShards;
}): Promise<AppendResult> {
  const {dir, uploads, searcher, known} = options;
  const writer = await openCollectionWriter({
    embeddingsDir: dir,
    command: 'visual-cortex serve (upload)',
  }).catch((error: unknown) => {
    // Another writer (an embed of the folder) holds the lock: the client may try again later.
    if (isUserError(error)) throw new BadQueryError(`cannot add images now: ${error.message}`);
    throw error;
  });
  try {
    await writer.bind({imagesDir: options.imagesDir, model: options.model, dims: options.dims});
    const state = writer.state;
    if (!state) throw new Error(`${dir} is no longer a collection`);
    const ids = state.shards.map((shard) => shard.id);
    const reread =
      state.manifest.tombstones.length !== known.tombstones ||
      known.ids.some((id, index) => ids[index] !== id);
    if (!reread) {
      const dead = tombstonesByShard(state.manifest);
      for (const shard of state.shards.slice(known.ids.length)) {
        const {rows, files} = await readShardRows(dir, shard, options.dims, dead.get(shard.id));
        searcher.append(rows, files);
      }
    }
    const mtimes = await Promise.all(
      uploads.map(async (upload) => Math.floor((await stat(join(options.imagesDir, upload.file))).mtimeMs)),
    );
    await writer.append({
      rows: uploads.map((upload) => upload.vector),
      filenames: uploads.map((upload) => upload.file),
      images: uploads.map((upload, index) => ({
        sha256: upload.sha256,
        bytes: upload.data.byteLength,
        mtime_ms: mtimes[index]!,
      })),
    });
    await writer.commit();
    if (!reread)
      searcher.append(
        uploads.map((upload) => upload.vector),
        uploads.map((upload) => upload.file),
      );
    return {
      known: {ids: state.shards.map((shard) => shard.id), tombstones: state.manifest.tombstones.length},
      reread,
    };
  } finally {
    await writer.close();
  }
}
