/**
 * Which shards make up a collection right now: those the manifest lists, in its order, then committed shard
 * folders it does not list yet (a writer killed between the shard's rename and the manifest's, or a shard
 * committed by another process), in id order. Reads manifest.json, one directory listing, and shard.json of
 * unlisted shards only, so it costs little however big the collection is.
 */
import {readdir} from 'node:fs/promises';
import {join} from 'node:path';
import {compareIds, isShardId, SHARDS_DIR, TEMP_PREFIX} from './layout.js';
import {readManifest} from './manifest.js';
import {readShardInfo} from './shard.js';
import type {Manifest, ShardFiles, ShardInfo} from './types.js';

export interface ShardRef {
  id: string;
  rows: number;
  files: ShardFiles;
  /** False for a committed shard the manifest does not list yet. */
  listed: boolean;
  /** shard.json, already read for unlisted shards. */
  info?: ShardInfo;
}

export interface CollectionState {
  dir: string;
  manifest: Manifest;
  shards: ShardRef[];
  /** Listed in the manifest, but their folder is gone. */
  missing: string[];
  /** Folders under shards/ that are not shards (no shard.json, a bad name). */
  strays: string[];
}

async function shardFolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(join(dir, SHARDS_DIR), {withFileTypes: true}))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith(TEMP_PREFIX))
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The collection's state, or null when `dir` has no manifest. */
export async function readCollectionState(dir: string): Promise<CollectionState | null> {
  const manifest = await readManifest(dir);
  if (!manifest) return null;
  const folders = new Set(await shardFolders(dir));
  const shards: ShardRef[] = [];
  const missing: string[] = [];
  for (const entry of manifest.shards) {
    if (folders.delete(entry.id))
      shards.push({id: entry.id, rows: entry.rows, files: entry.files, listed: true});
    else missing.push(entry.id);
  }
  const strays: string[] = [];
  for (const id of [...folders].sort(compareIds)) {
    const info = isShardId(id) ? await readShardInfo(dir, id).catch(() => undefined) : undefined;
    if (info) shards.push({id, rows: info.rows, files: info.files, listed: false, info});
    else strays.push(id);
  }
  return {dir, manifest, shards, missing, strays};
}

/** Tombstoned rows by shard id. */
export function tombstonesByShard(manifest: Manifest): Map<string, Set<number>> {
  const byShard = new Map<string, Set<number>>();
  for (const tombstone of manifest.tombstones) {
    const rows = byShard.get(tombstone.shard) ?? new Set<number>();
    rows.add(tombstone.row);
    byShard.set(tombstone.shard, rows);
  }
  return byShard;
}

/** Rows a reader sees: the shards' rows less the tombstoned ones. */
export function liveRowCount(state: Pick<CollectionState, 'shards' | 'manifest'>): number {
  const dead = tombstonesByShard(state.manifest);
  let live = 0;
  for (const shard of state.shards) live += liveRowsOf(shard, dead);
  return live;
}

export function liveRowsOf(shard: {id: string; rows: number}, dead: Map<string, Set<number>>): number {
  let gone = 0;
  for (const row of dead.get(shard.id) ?? []) if (row < shard.rows) gone++;
  return shard.rows - gone;
}
