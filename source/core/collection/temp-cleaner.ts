/**
 * Removes what dead writers left in a collection: `.tmp-*` files and folders (a half-built shard, a merged view
 * being written, a manifest or link being replaced, rows being streamed). It runs under the collection's lock,
 * and only lock holders write in shards/ and views/, so everything there that is not this process's is dead.
 * At the top level `search --build-index` also stages its index (without the lock): its files are left alone
 * while their process runs.
 */
import {readdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {isProcessAlive} from '../fs/pid-lock.js';
import {SHARDS_DIR, TEMP_PREFIX, VIEWS_DIR} from './layout.js';

const UNLOCKED_WRITERS = ['.tmp-image_embeddings.hnsw-'];

/** The pid a temp name carries: `.tmp-<label>-<pid>-<n>` (this module's and atomic writes') or `...-<pid>`. */
export function tempOwner(name: string): number | undefined {
  const parts = name.split('-');
  for (const candidate of [parts.at(-2), parts.at(-1)]) {
    if (candidate && /^\d+$/.test(candidate) && Number(candidate) > 0) return Number(candidate);
  }
  return undefined;
}

function isOurs(name: string): boolean {
  const parts = name.split('-');
  return parts.at(-2) === String(process.pid) || parts.at(-1) === String(process.pid);
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return [];
    throw error;
  }
}

/** Removes dead writers' temp entries; returns their paths. Call it holding the collection's lock. */
export async function removeDeadTemps(embeddingsDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const sub of ['', SHARDS_DIR, VIEWS_DIR]) {
    const dir = join(embeddingsDir, sub);
    for (const name of await entries(dir)) {
      if (isOurs(name)) continue;
      if (sub === '' && UNLOCKED_WRITERS.some((prefix) => name.startsWith(prefix))) {
        const owner = tempOwner(name);
        if (owner === undefined || isProcessAlive(owner)) continue;
      }
      await rm(join(dir, name), {recursive: true, force: true});
      removed.push(join(dir, name));
    }
  }
  return removed;
}
