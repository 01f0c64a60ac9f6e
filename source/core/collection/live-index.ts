/**
 * The live rows without their vectors: which file each one embeds, where it lives and what the file was (size,
 * mtime, SHA-256) when it was embedded. The sync compares the images folder with it; it reads each shard's
 * filenames.npy and shard.json, not the embeddings.
 */
import {mapWithConcurrency} from '../embed/concurrency.js';
import {readShardNames} from './reader.js';
import {readShardInfo} from './shard.js';
import {type CollectionState, tombstonesByShard} from './state.js';

export interface LiveRow {
  file: string;
  shard: string;
  row: number;
  sha256: string;
  bytes: number;
  mtime_ms: number;
  /** Perceptual hash (hex), null when the shard has none for the row. */
  phash: string | null;
}

const READ_CONCURRENCY = 8;

export async function readLiveRows(state: CollectionState): Promise<LiveRow[]> {
  const dead = tombstonesByShard(state.manifest);
  const perShard = await mapWithConcurrency(state.shards, READ_CONCURRENCY, async (shard) => {
    const [names, info] = await Promise.all([
      readShardNames(state.dir, shard),
      shard.info ? Promise.resolve(shard.info) : readShardInfo(state.dir, shard.id),
    ]);
    const gone = dead.get(shard.id);
    const rows: LiveRow[] = [];
    for (const [row, file] of names.entries()) {
      if (gone?.has(row)) continue;
      rows.push({
        file,
        shard: shard.id,
        row,
        sha256: info.images?.sha256?.[row] ?? '',
        bytes: info.images?.bytes?.[row] ?? -1,
        mtime_ms: info.images?.mtime_ms?.[row] ?? -1,
        phash: info.images?.phash?.[row] ?? null,
      });
    }
    return rows;
  });
  return perShard.flat();
}
