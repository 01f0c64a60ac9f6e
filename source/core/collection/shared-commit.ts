/**
 * Committing a whole shard from one of many processes (cluster workers on many hosts) without the writer's lock:
 * the writer's pid lock only means something on one host, and a manifest rewrite per shard by 100 hosts would
 * serialise them. A shard is a folder renamed into shards/ whole (shard.ts), and every reader and writer already
 * takes committed shards the manifest does not list (state.ts), so the next `merge` lists them, in id order.
 * What must still hold: one model per collection. The first committer creates the manifest (create-if-absent,
 * atomic), and every commit checks its model against it first.
 */
import {link, mkdir, rm, writeFile} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {trackTempFile, untrackTempFile} from '../fs/temp-files.js';
import {manifestPath, tempName} from './layout.js';
import {mixRefusal, modelMismatch, newManifest, readManifest} from './manifest.js';
import {readShardInfo, ShardBuilder, type ShardExtras, type ShardRows} from './shard.js';
import type {CollectionHeader, ShardInfo} from './types.js';

/** The header this committer would give a new collection; its model must match an existing one's. */
export type SharedCommitHeader = Omit<CollectionHeader, 'created_at'>;

/**
 * Makes sure the collection exists with this model: creates its manifest if there is none (losing a race to
 * another committer is fine), then refuses with a UserError if the collection holds another model or folder.
 */
export async function ensureCollectionFor(embeddingsDir: string, header: SharedCommitHeader): Promise<void> {
  const dir = resolve(embeddingsDir);
  let manifest = await readManifest(dir);
  if (!manifest) {
    await mkdir(dir, {recursive: true});
    const temp = join(dir, tempName('manifest'));
    trackTempFile(temp);
    try {
      const fresh = newManifest({...header, created_at: new Date().toISOString()}, new Date());
      await writeFile(temp, `${JSON.stringify(fresh, null, 1)}\n`);
      // link() fails with EEXIST when another committer was first: a create-if-absent that is atomic.
      await link(temp, manifestPath(dir)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(temp, {force: true});
      untrackTempFile(temp);
    }
    manifest = await readManifest(dir);
    if (!manifest) throw new Error(`the manifest of ${dir} vanished while it was being created`);
  }
  const {path: _path, ...model} = header.model;
  const why = modelMismatch(manifest.header, model, header.embedding_dim);
  if (why) throw mixRefusal(dir, why);
  if (resolve(manifest.header.images_dir) !== resolve(header.images_dir))
    throw mixRefusal(dir, `its images come from ${manifest.header.images_dir}, not ${header.images_dir}`);
}

/** shard.json of a committed shard, or null when the shard is not committed. */
export async function committedShard(embeddingsDir: string, id: string): Promise<ShardInfo | null> {
  return readShardInfo(resolve(embeddingsDir), id).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

/**
 * Commits `shard` under its id after checking the collection's model; idempotent by content like the writer's
 * commitShard (the same rows again: `existed`; other rows under a used id: an error). Leaves the manifest alone.
 */
export async function commitSharedShard(
  embeddingsDir: string,
  header: SharedCommitHeader,
  shard: ShardRows & ShardExtras & {id: string},
): Promise<{info: ShardInfo; existed: boolean}> {
  const dir = resolve(embeddingsDir);
  await ensureCollectionFor(dir, header);
  const {path: _path, ...model} = header.model;
  const builder = await ShardBuilder.start(dir, {
    dims: header.embedding_dim,
    capacity: Math.max(1, shard.rows.length),
    model,
  });
  try {
    await builder.append(shard);
  } catch (error) {
    await builder.discard();
    throw error;
  }
  return builder.commit(shard.id, shard);
}
