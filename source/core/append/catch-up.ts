/**
 * Brings an in-memory searcher up to a collection's state on disk: shards committed since it was read are read
 * (only those) and its rows grow in place, so row ids stay the collection's. When rows were tombstoned or shards
 * changed other than by being appended, growing is not enough: the caller re-reads the collection.
 */
import {readShardRows} from '../collection/reader.js';
import {type CollectionState, tombstonesByShard} from '../collection/state.js';
import type {Searcher} from '../search/searcher.js';

export interface KnownShards {
  ids: string[];
  tombstones: number;
}

export function knownShardsOf(state: CollectionState): KnownShards {
  return {ids: state.shards.map((shard) => shard.id), tombstones: state.manifest.tombstones.length};
}

/** The new known shards, or 'reread' when the searcher cannot just grow to `state`. */
export async function catchUp(
  searcher: Searcher,
  state: CollectionState,
  known: KnownShards,
): Promise<KnownShards | 'reread'> {
  const ids = state.shards.map((shard) => shard.id);
  const changed =
    state.manifest.tombstones.length !== known.tombstones ||
    ids.length < known.ids.length ||
    known.ids.some((id, index) => ids[index] !== id);
  if (changed) return 'reread';
  const dead = tombstonesByShard(state.manifest);
  for (const shard of state.shards.slice(known.ids.length)) {
    const {rows, files} = await readShardRows(state.dir, shard, searcher.dims, dead.get(shard.id));
    searcher.append(rows, files);
  }
  return knownShardsOf(state);
}
