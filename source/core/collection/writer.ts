/**
 * The one way to add to a collection. How to use it (embed, the streaming run, serve's uploads, a cluster
 * coordinator):
 *
 *   const writer = await openCollectionWriter({embeddingsDir, shardSize});   // takes .lock, cleans, adopts
 *   await writer.bind({imagesDir, model, dims});     // refuses another model, dtype, preprocessing or folder
 *   await writer.tombstone([...]);                   // rows whose file was deleted or changed (before re-adding)
 *   await writer.append({rows, filenames, images});  // streamed to disk; a full shard commits by itself
 *   writer.note({failures, timings});                // recorded in the shard being filled
 *   await writer.commit();                           // commits the partial last shard (a stop, the end)
 *   await writer.recordRun(run, failures);           // what the run did, for the merged view's metadata
 *   await writer.writeMergedView();                  // rebuilds the seed's three files (optional)
 *   await writer.close();                            // drops an uncommitted shard, releases the lock
 *
 * `commitShard({id, ...})` commits a whole shard under a caller's id (a cluster job's), idempotent by content:
 * the same rows again are a no-op, other rows under a used id an error. Each commit rewrites the manifest, so a
 * shard costs the same however big the collection is. Memory: one shard's names and image facts.
 */
import {mkdir, readdir, rename, rm, rmdir} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {UserError} from '../errors.js';
import {acquirePidLock, type PidLock} from '../fs/pid-lock.js';
import {
  DEFAULT_SHARD_SIZE,
  isShardId,
  LOCK_FILE,
  nextLocalShardId,
  SHARDS_DIR,
  shardDir,
  tempName,
} from './layout.js';
import {type LiveRow, readLiveRows} from './live-index.js';
import {mixRefusal, modelMismatch, newManifest, writeManifest} from './manifest.js';
import {buildMergedView, type MergedView} from './merged-view.js';
import {ShardBuilder, type ShardExtras, type ShardRows} from './shard.js';
import {type CollectionState, readCollectionState, type ShardRef} from './state.js';
import {removeDeadTemps} from './temp-cleaner.js';
import type {CollectionHeader, Failure, ModelFacts, RunRecord, ShardInfo, Tombstone} from './types.js';

export interface CollectionWriterOptions {
  embeddingsDir: string;
  /** Rows per shard (default 4,096); fixed by the collection's first commit. */
  shardSize?: number;
  /** Start the collection over: its shards are removed at this writer's first commit. */
  replace?: boolean;
  /** What the lock says the holder runs (default: this process's arguments). */
  command?: string;
  /** Stops writeMergedView between shards. */
  signal?: AbortSignal;
  now?: () => Date;
}

export interface WriterBinding {
  imagesDir: string;
  model: ModelFacts;
  dims: number;
}

export interface CollectionWriter {
  readonly dir: string;
  /** The collection as this writer sees it (null: none yet). Shards it commits are added. */
  readonly state: CollectionState | null;
  /** Committed shards the manifest missed, added on open; listed shards whose folder was gone, dropped. */
  readonly adopted: readonly string[];
  readonly dropped: readonly string[];
  readonly removedTemps: readonly string[];
  bind(binding: WriterBinding): Promise<void>;
  /** The live rows (none when replacing). */
  liveRows(): Promise<LiveRow[]>;
  tombstone(rows: Omit<Tombstone, 'at'>[]): Promise<void>;
  /** Brings rows back: removes the tombstones `match` picks (duplicates' undo); returns them. */
  liftTombstones(match: (tombstone: Tombstone) => boolean): Promise<Tombstone[]>;
  append(batch: ShardRows & ShardExtras): Promise<ShardInfo[]>;
  note(extras: ShardExtras): void;
  commit(extras?: ShardExtras): Promise<ShardInfo | undefined>;
  commitShard(shard: ShardRows & ShardExtras & {id: string}): Promise<{info: ShardInfo; existed: boolean}>;
  recordRun(run: RunRecord, failures: Failure[]): Promise<void>;
  writeMergedView(options?: {
    onShard?: (done: number, total: number) => void;
    finishRun?: (run: RunRecord | null) => RunRecord | null;
  }): Promise<MergedView | undefined>;
  /** Drops the shard being filled. */
  discard(): Promise<void>;
  close(): Promise<void>;
}

function lockHolderCommand(): string {
  return ['visual-cortex', ...process.argv.slice(2)].join(' ').slice(0, 200);
}

function inUse(dir: string, holder: {pid: number; started: string; command?: string}): UserError {
  return new UserError(
    `the embeddings folder ${dir} is in use by process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}, since ${holder.started}`,
    `wait for it to finish or stop it (kill ${holder.pid}), or use another embeddings folder`,
  );
}

function refFor(info: ShardInfo): ShardRef {
  return {id: info.id, rows: info.rows, files: info.files, listed: true};
}

/** Adds unlisted committed shards to the manifest and drops listed ones that are gone. */
function reconcile(state: CollectionState): {adopted: string[]; dropped: string[]} {
  const {manifest} = state;
  const adopted: string[] = [];
  for (const shard of state.shards) {
    if (shard.listed) continue;
    const why = shard.info && modelMismatch(manifest.header, shard.info.model, shard.info.dims);
    if (why)
      throw new UserError(
        `shard ${shard.id} in ${state.dir} does not belong to its collection: ${why}`,
        `move the folder ${shardDir(state.dir, shard.id)} out of the collection`,
      );
    manifest.shards.push({id: shard.id, rows: shard.rows, files: shard.files});
    shard.listed = true;
    adopted.push(shard.id);
  }
  const dropped = state.missing;
  if (dropped.length > 0) {
    const gone = new Set(dropped);
    manifest.shards = manifest.shards.filter((shard) => !gone.has(shard.id));
    manifest.tombstones = manifest.tombstones.filter((tombstone) => !gone.has(tombstone.shard));
    state.missing = [];
  }
  return {adopted, dropped};
}

export async function openCollectionWriter(options: CollectionWriterOptions): Promise<CollectionWriter> {
  const dir = resolve(options.embeddingsDir);
  const now = options.now ?? (() => new Date());
  const created = await mkdir(dir, {recursive: true});
  const lock: PidLock = await acquirePidLock(
    join(dir, LOCK_FILE),
    (holder) => inUse(dir, holder),
    options.command ?? lockHolderCommand(),
  );
  let state: CollectionState | null;
  let removedTemps: string[];
  let adopted: string[] = [];
  let dropped: string[] = [];
  try {
    removedTemps = await removeDeadTemps(dir);
    state = await readCollectionState(dir);
    if (state && !options.replace) {
      ({adopted, dropped} = reconcile(state));
      if (adopted.length + dropped.length > 0) await saveManifest();
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  let binding: (WriterBinding & {shardSize: number}) | undefined;
  let replacing = Boolean(options.replace && state);
  let builder: ShardBuilder | undefined;
  const extrasBeforeBuilder: ShardExtras[] = [];

  async function saveManifest(): Promise<void> {
    if (!state) return;
    state.manifest.updated_at = now().toISOString();
    await writeManifest(dir, state.manifest);
  }

  function bound(): WriterBinding & {shardSize: number} {
    if (!binding) throw new Error('bind the writer to its images folder and model first');
    return binding;
  }

  /** Before the first shard of a new (or replaced) collection: its manifest, so no shard is ever unowned. */
  async function ensureManifest(): Promise<CollectionState> {
    if (state && !replacing) return state;
    const {imagesDir, model, dims, shardSize} = bound();
    if (state && replacing) await retireShards(state);
    const header: CollectionHeader = {
      model,
      embedding_dim: dims,
      images_dir: imagesDir,
      shard_size: shardSize,
      created_at: now().toISOString(),
    };
    state = {dir, manifest: newManifest(header, now()), shards: [], missing: [], strays: []};
    replacing = false;
    await saveManifest();
    return state;
  }

  /** Moves the old shards out one by one, then removes them (a kill half-way leaves them for the cleaner). */
  async function retireShards(old: CollectionState): Promise<void> {
    const ids = (await readdir(join(dir, SHARDS_DIR)).catch(() => [] as string[])).filter(isShardId);
    for (const id of ids) {
      const aside = join(dir, SHARDS_DIR, tempName(`retired-${id}`));
      await rename(shardDir(dir, id), aside);
      await rm(aside, {recursive: true, force: true});
    }
    old.shards = [];
  }

  async function startBuilder(): Promise<ShardBuilder> {
    const {dims, shardSize, model} = bound();
    const {path: _path, ...shardModel} = model;
    builder = await ShardBuilder.start(dir, {dims, capacity: shardSize, model: shardModel});
    for (const extras of extrasBeforeBuilder.splice(0)) builder.note(extras);
    return builder;
  }

  async function commitBuilder(extras?: ShardExtras): Promise<ShardInfo | undefined> {
    const filling = builder;
    if (!filling) return undefined;
    builder = undefined;
    if (filling.rows === 0) {
      await filling.discard();
      return undefined;
    }
    const current = await ensureManifest();
    const id = nextLocalShardId(current.shards.map((shard) => shard.id));
    const {info} = await filling.commit(id, extras);
    current.manifest.shards.push({id, rows: info.rows, files: info.files});
    current.shards.push(refFor(info));
    await saveManifest();
    return info;
  }

  const writer: CollectionWriter = {
    dir,
    get state() {
      return state;
    },
    adopted,
    dropped,
    removedTemps,

    async bind(next) {
      const imagesDir = resolve(next.imagesDir);
      if (state && !replacing) {
        const {header} = state.manifest;
        const {path: _path, ...model} = next.model;
        const why = modelMismatch(header, model, next.dims);
        if (why) throw mixRefusal(dir, why);
        if (resolve(header.images_dir) !== imagesDir)
          throw mixRefusal(dir, `its images come from ${header.images_dir}, not ${imagesDir}`);
        binding = {...next, imagesDir: header.images_dir, shardSize: header.shard_size};
        return;
      }
      const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
      if (!Number.isInteger(shardSize) || shardSize < 1)
        throw new UserError(
          `the shard size must be a positive whole number, got ${shardSize}`,
          'e.g. --shard-size 4096',
        );
      binding = {...next, imagesDir, shardSize};
    },

    async liveRows() {
      return state && !replacing ? readLiveRows(state) : [];
    },

    async tombstone(rows) {
      if (rows.length === 0) return;
      if (!state || replacing) throw new Error('nothing to tombstone in an empty collection');
      const at = now().toISOString();
      state.manifest.tombstones.push(...rows.map((row) => ({...row, at})));
      await saveManifest();
    },

    async liftTombstones(match) {
      if (!state || replacing) return [];
      const lifted = state.manifest.tombstones.filter(match);
      if (lifted.length === 0) return [];
      state.manifest.tombstones = state.manifest.tombstones.filter((tombstone) => !match(tombstone));
      await saveManifest();
      return lifted;
    },

    async append(batch) {
      bound();
      const committed: ShardInfo[] = [];
      const {failures, timings} = batch;
      if (failures || timings) writer.note({failures, timings});
      let start = 0;
      while (start < batch.rows.length) {
        const filling = builder ?? (await startBuilder());
        const end = Math.min(batch.rows.length, start + filling.room);
        await filling.append({
          rows: batch.rows.slice(start, end),
          filenames: batch.filenames.slice(start, end),
          images: batch.images.slice(start, end),
        });
        start = end;
        if (filling.room === 0) {
          const info = await commitBuilder();
          if (info) committed.push(info);
        }
      }
      return committed;
    },

    note(extras) {
      if (builder) builder.note(extras);
      else extrasBeforeBuilder.push(extras);
    },

    commit: (extras) => commitBuilder(extras),

    async commitShard(shard) {
      const {dims, model} = bound();
      if (!isShardId(shard.id)) throw new Error(`'${shard.id}' is not a valid shard id`);
      const current = await ensureManifest();
      const {path: _path, ...shardModel} = model;
      const one = await ShardBuilder.start(dir, {
        dims,
        capacity: Math.max(1, shard.rows.length),
        model: shardModel,
      });
      try {
        await one.append(shard);
      } catch (error) {
        await one.discard();
        throw error;
      }
      const result = await one.commit(shard.id, shard);
      if (!current.shards.some((ref) => ref.id === shard.id)) {
        current.manifest.shards.push({id: shard.id, rows: result.info.rows, files: result.info.files});
        current.shards.push(refFor(result.info));
        await saveManifest();
      }
      return result;
    },

    async recordRun(run, failures) {
      if (!state || replacing) return;
      state.manifest.last_run = run;
      state.manifest.failures = failures;
      await saveManifest();
    },

    async writeMergedView(viewOptions = {}) {
      if (!state || replacing) throw new Error('the collection has no shards to merge');
      const view = await buildMergedView(state, {...viewOptions, signal: options.signal, now});
      // The run record as the view has it (finishRun completed it), for the next `merge`.
      if (view && viewOptions.finishRun) await saveManifest();
      return view;
    },

    async discard() {
      const filling = builder;
      builder = undefined;
      await filling?.discard();
    },

    async close() {
      try {
        await writer.discard();
      } finally {
        // A lock that cannot be removed (the folder went away) is taken over once this process has ended.
        await lock.release().catch(() => undefined);
        // A run that wrote nothing leaves no folder it made behind.
        if (created) await rmdir(dir).catch(() => undefined);
      }
    },
  };
  return writer;
}
