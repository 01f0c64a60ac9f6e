/**
 * The merged view: the seed's three files, derived from the shards. They are written to views/<generation>/
 * (each fsynced, metadata.json last), then one rename of the `view` symlink switches every reader to them; the
 * top-level image_embeddings.npy, image_filenames.npy and metadata.json are relative links through `view`.
 * A kill at any moment leaves the previous view or the new one, never a mix. The generation before the new one
 * is kept (a reader that resolved the old link can finish); older ones are removed. Where symlinks cannot be
 * made, the files are renamed into place one by one, metadata.json last, and readers tell a mixed set by checksum.
 */
import {lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import type {EmbedMetadata} from '../embed/metadata.js';
import {syncDirectory} from '../fs/atomic-write.js';
import {trackTempFile, untrackTempFile} from '../fs/temp-files.js';
import {encodeUnicodeArray} from '../npy.js';
import {Float32NpyStream} from '../npy-stream.js';
import {TEMP_PREFIX, tempName, VIEW_FILES, VIEW_LINK, VIEWS_DIR, viewPaths} from './layout.js';
import {collectionFingerprint, readShardRows} from './reader.js';
import {writeSynced} from './shard.js';
import {type CollectionState, liveRowCount, tombstonesByShard} from './state.js';
import type {RunRecord} from './types.js';
import {type ViewFacts, viewMetadata} from './view-metadata.js';

export interface MergedView {
  generation: string;
  paths: {embeddings: string; filenames: string; metadata: string};
  metadata: EmbedMetadata;
  /** links: switched in one step; files: written in place (no symlinks here). */
  mode: 'links' | 'files';
}

const GENERATION = /^\d{8}$/;

async function nextGeneration(dir: string): Promise<string> {
  const names = await readdir(join(dir, VIEWS_DIR)).catch(() => [] as string[]);
  const last = Math.max(-1, ...names.filter((name) => GENERATION.test(name)).map(Number));
  return String(last + 1).padStart(8, '0');
}

/** The generation the `view` link points at, if any. */
export async function currentGeneration(dir: string): Promise<string | undefined> {
  const target = await readlink(join(dir, VIEW_LINK)).catch(() => undefined);
  const name = target?.split(/[\\/]/).pop();
  return name && GENERATION.test(name) ? name : undefined;
}

/**
 * Writes a new generation from `state`'s shards and switches to it. Returns undefined (nothing switched, the
 * temp folder removed) when `signal` aborts first.
 */
export async function buildMergedView(
  state: CollectionState,
  options: {
    signal?: AbortSignal;
    onShard?: (done: number, total: number) => void;
    now?: () => Date;
    /** Completes the recorded run as the metadata is written (its write time includes the .npy files). */
    finishRun?: (run: RunRecord | null) => RunRecord | null;
  } = {},
): Promise<MergedView | undefined> {
  const {dir, manifest} = state;
  const dims = manifest.header.embedding_dim;
  const dead = tombstonesByShard(manifest);
  const liveRows = liveRowCount(state);
  await mkdir(join(dir, VIEWS_DIR), {recursive: true});
  const generation = await nextGeneration(dir);
  const temp = join(dir, VIEWS_DIR, tempName('view'));
  await mkdir(temp);
  trackTempFile(temp);
  let stream: Float32NpyStream | undefined;
  try {
    stream = await Float32NpyStream.create(join(temp, VIEW_FILES.embeddings), dims, liveRows);
    const names: string[] = [];
    for (const [index, shard] of state.shards.entries()) {
      if (options.signal?.aborted) {
        await stream.discard();
        await rm(temp, {recursive: true, force: true});
        untrackTempFile(temp);
        return undefined;
      }
      const {rows, files} = await readShardRows(dir, shard, dims, dead.get(shard.id));
      names.push(...files);
      await stream.append(rows);
      options.onShard?.(index + 1, state.shards.length);
    }
    const embeddings = await stream.commit(join(temp, VIEW_FILES.embeddings));
    const filenames = await writeSynced(join(temp, VIEW_FILES.filenames), encodeUnicodeArray(names));
    if (options.finishRun) manifest.last_run = options.finishRun(manifest.last_run);
    const facts: ViewFacts = {
      manifest,
      shardIds: state.shards.map((shard) => shard.id),
      liveRows,
      totalRows: state.shards.reduce((sum, shard) => sum + shard.rows, 0),
      fingerprint: collectionFingerprint(state.shards, manifest),
      generation,
    };
    const metadata: EmbedMetadata = {
      ...viewMetadata(facts, options.now?.()),
      files: {[VIEW_FILES.embeddings]: embeddings, [VIEW_FILES.filenames]: filenames},
    };
    await writeSynced(join(temp, VIEW_FILES.metadata), `${JSON.stringify(metadata, null, 2)}\n`);
    await syncDirectory(temp);
    const mode = await switchTo(dir, temp, generation);
    untrackTempFile(temp);
    return {generation, paths: viewPaths(dir), metadata, mode};
  } catch (error) {
    await stream?.discard().catch(() => undefined);
    await rm(temp, {recursive: true, force: true});
    untrackTempFile(temp);
    throw error;
  }
}

/** The merged view's metadata.json as it is now (through the links), or undefined when there is none. */
export async function readViewMetadata(dir: string): Promise<EmbedMetadata | undefined> {
  try {
    const paths = viewPaths(dir);
    await Promise.all([stat(paths.embeddings), stat(paths.filenames)]);
    return JSON.parse(await readFile(paths.metadata, 'utf8')) as EmbedMetadata;
  } catch {
    return undefined;
  }
}

const NO_SYMLINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS']);

async function switchTo(dir: string, temp: string, generation: string): Promise<'links' | 'files'> {
  const target = join(VIEWS_DIR, generation);
  const link = join(dir, tempName('link-view'));
  try {
    await symlink(target, link, 'dir');
  } catch (error) {
    if (!NO_SYMLINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    await writeInPlace(dir, temp);
    return 'files';
  }
  const previous = await currentGeneration(dir);
  await rename(temp, join(dir, target));
  await syncDirectory(join(dir, VIEWS_DIR));
  await rename(link, join(dir, VIEW_LINK));
  await syncDirectory(dir);
  await ensureTopLevelLinks(dir);
  await removeOldGenerations(dir, new Set([generation, previous ?? '']));
  return 'links';
}

/** Without symlinks: each file renamed over the old one, metadata.json last (it names the others' checksums). */
async function writeInPlace(dir: string, temp: string): Promise<void> {
  for (const name of [VIEW_FILES.embeddings, VIEW_FILES.filenames, VIEW_FILES.metadata])
    await rename(join(temp, name), join(dir, name));
  await syncDirectory(dir);
  await rm(temp, {recursive: true, force: true});
}

/**
 * Makes the three top-level names links through `view` (once per folder). A folder of plain files from an
 * earlier version loses its metadata.json first, so that a kill half-way leaves an incomplete set, not a mixed one.
 */
async function ensureTopLevelLinks(dir: string): Promise<void> {
  const names = [VIEW_FILES.metadata, VIEW_FILES.embeddings, VIEW_FILES.filenames];
  const wanted = (name: string) => join(VIEW_LINK, name);
  const states = await Promise.all(
    names.map(async (name) => {
      const info = await lstat(join(dir, name)).catch(() => undefined);
      if (!info) return 'absent';
      if (info.isSymbolicLink() && (await readlink(join(dir, name))) === wanted(name)) return 'ok';
      return 'other';
    }),
  );
  if (states.every((state) => state === 'ok')) return;
  if (states[0] === 'other') await unlink(join(dir, VIEW_FILES.metadata));
  for (const name of [VIEW_FILES.embeddings, VIEW_FILES.filenames, VIEW_FILES.metadata]) {
    const link = join(dir, tempName(`link-${name}`));
    await symlink(wanted(name), link, 'file');
    await rename(link, join(dir, name));
  }
  await syncDirectory(dir);
}

async function removeOldGenerations(dir: string, keep: Set<string>): Promise<void> {
  for (const name of await readdir(join(dir, VIEWS_DIR))) {
    if (keep.has(name) || name.startsWith(TEMP_PREFIX) || !GENERATION.test(name)) continue;
    await rm(join(dir, VIEWS_DIR, name), {recursive: true, force: true});
  }
}
