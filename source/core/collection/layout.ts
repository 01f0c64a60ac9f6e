/**
 * Where a collection keeps its parts inside the embeddings folder (docs/collection.md, "Layout"), and how shard
 * ids and temp names are made. Everything that reads or writes a collection takes its paths from here.
 */
import {randomBytes} from 'node:crypto';
import {stat} from 'node:fs/promises';
import {join} from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const SHARDS_DIR = 'shards';
export const VIEWS_DIR = 'views';
export const VIEW_LINK = 'view';
export const LOCK_FILE = '.lock';
export const SHARD_FILES = {
  embeddings: 'embeddings.npy',
  filenames: 'filenames.npy',
  info: 'shard.json',
} as const;
/** The merged view's three files: the seed's outputs, under the names numpy users know. */
export const VIEW_FILES = {
  embeddings: 'image_embeddings.npy',
  filenames: 'image_filenames.npy',
  metadata: 'metadata.json',
} as const;

export const DEFAULT_SHARD_SIZE = 4096;
export const TEMP_PREFIX = '.tmp-';

/** Ids are file names: letters, digits, '.', '_' and '-', not starting with '.'; sorted as strings. */
const SHARD_ID = /^[0-9A-Za-z_-][0-9A-Za-z._-]{0,63}$/;
const LOCAL_ID = /^\d{8}$/;

export function isShardId(id: string): boolean {
  return SHARD_ID.test(id);
}

/** The id a local writer gives its next shard: one past the largest 8-digit id, whatever else is there. */
export function nextLocalShardId(ids: Iterable<string>): string {
  let last = -1;
  for (const id of ids) if (LOCAL_ID.test(id)) last = Math.max(last, Number(id));
  return String(last + 1).padStart(8, '0');
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function shardDir(embeddingsDir: string, id: string): string {
  return join(embeddingsDir, SHARDS_DIR, id);
}

export function manifestPath(embeddingsDir: string): string {
  return join(embeddingsDir, MANIFEST_FILE);
}

export function viewPaths(embeddingsDir: string): {embeddings: string; filenames: string; metadata: string} {
  return {
    embeddings: join(embeddingsDir, VIEW_FILES.embeddings),
    filenames: join(embeddingsDir, VIEW_FILES.filenames),
    metadata: join(embeddingsDir, VIEW_FILES.metadata),
  };
}

let tempCounter = randomBytes(4).readUInt32BE(0);

/** `.tmp-<label>-<pid>-<n>`: the pid tells the cleaner whose it is (see temp-cleaner.ts). */
export function tempName(label: string): string {
  tempCounter = (tempCounter + 1) >>> 0;
  return `${TEMP_PREFIX}${label}-${process.pid}-${tempCounter.toString(16).padStart(8, '0')}`;
}

/** A collection is a folder with a manifest: writers make it before their first shard. */
export async function isCollection(embeddingsDir: string): Promise<boolean> {
  return stat(manifestPath(embeddingsDir)).then(
    (info) => info.isFile(),
    () => false,
  );
}
