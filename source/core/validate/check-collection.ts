/**
 * Part of check 1 for a collection (a folder with manifest.json): every shard is complete, aligned and matches
 * its checksums, the manifest and the shard folders agree, tombstones point at real rows, no image is live in two
 * shards, and the merged view covers the current shards (older or absent: a note; `merge` rebuilds it). Without a
 * merged view the later checks read the rows from the shards.
 */
import {lstat} from 'node:fs/promises';
import {viewPaths} from '../collection/layout.js';
import {readViewMetadata} from '../collection/merged-view.js';
import {collectionFingerprint, openCollection, readShardFile, readShardNames} from '../collection/reader.js';
import {readShardInfo} from '../collection/shard.js';
import {
  type CollectionState,
  liveRowCount,
  readCollectionState,
  tombstonesByShard,
} from '../collection/state.js';
import type {ShardInfo} from '../collection/types.js';
import {viewMetadata} from '../collection/view-metadata.js';
import {describeError} from '../errors.js';
import {parseNpy} from '../npy.js';
import {Findings, type LoadedOutputs, listSome} from './check-context.js';

export interface CollectionCheck {
  findings: Findings;
  /** The three view files are all absent (made with --no-merged-view). */
  viewAbsent: boolean;
  /** The outputs as the shards hold them, when the view is absent and the shards read. */
  outputs?: LoadedOutputs;
}

async function checkShard(
  state: CollectionState,
  index: number,
  findings: Findings,
): Promise<string[] | undefined> {
  const shard = state.shards[index]!;
  const {dir, manifest} = state;
  let info: ShardInfo;
  try {
    info = shard.info ?? (await readShardInfo(dir, shard.id));
  } catch (error) {
    findings.fail(`shard ${shard.id}: shard.json is unreadable (${describeError(error)})`);
    return undefined;
  }
  const problems: string[] = [];
  if (info.rows !== shard.rows)
    problems.push(`shard.json says ${info.rows} rows, the manifest ${shard.rows}`);
  for (const name of ['embeddings.npy', 'filenames.npy'] as const)
    if (info.files?.[name]?.sha256 !== shard.files[name].sha256)
      problems.push(`the manifest and shard.json record different checksums for ${name}`);
  const {header} = manifest;
  const model = info.model;
  if (
    info.dims !== header.embedding_dim ||
    model?.name !== header.model.name ||
    model?.dtype !== header.model.dtype ||
    model?.file !== header.model.file ||
    model?.preprocess_version !== header.model.preprocess_version
  )
    problems.push(`made by ${model?.name} ${model?.dtype} (${info.dims}-d), not the collection's model`);
  for (const column of ['sha256', 'bytes', 'mtime_ms'] as const)
    if (info.images?.[column]?.length !== shard.rows)
      problems.push(
        `images.${column} has ${info.images?.[column]?.length ?? 0} entries for ${shard.rows} rows`,
      );
  let names: string[] | undefined;
  try {
    const array = parseNpy(await readShardFile(dir, shard, 'embeddings.npy'));
    if (array.descr !== '<f4' || array.shape[0] !== shard.rows || array.shape[1] !== header.embedding_dim)
      problems.push(`embeddings.npy is ${array.descr} ${array.shape.join(' x ')}`);
    names = await readShardNames(dir, shard);
  } catch (error) {
    problems.push(describeError(error).replace(/^shard \S+ of the collection in \S+ is damaged: /, ''));
  }
  for (const problem of problems) findings.fail(`shard ${shard.id}: ${problem}`);
  return names;
}

function checkTombstones(state: CollectionState, names: Map<string, string[]>, findings: Findings): void {
  const bad: string[] = [];
  for (const tombstone of state.manifest.tombstones) {
    const shardNames = names.get(tombstone.shard);
    if (!state.shards.some((shard) => shard.id === tombstone.shard))
      bad.push(`${tombstone.shard}:${tombstone.row} (no such shard)`);
    else if (shardNames && shardNames[tombstone.row] !== tombstone.file)
      bad.push(`${tombstone.shard}:${tombstone.row} (${tombstone.file} is not that row's file)`);
  }
  if (bad.length) findings.fail(`${bad.length} tombstones point at no row: ${listSome(bad)}`);
}

function checkDuplicates(state: CollectionState, names: Map<string, string[]>, findings: Findings): void {
  const dead = tombstonesByShard(state.manifest);
  const where = new Map<string, string>();
  const twice: string[] = [];
  for (const shard of state.shards) {
    for (const [row, file] of (names.get(shard.id) ?? []).entries()) {
      if (dead.get(shard.id)?.has(row)) continue;
      const first = where.get(file);
      if (first !== undefined) twice.push(`${file} (shards ${first} and ${shard.id})`);
      else where.set(file, shard.id);
    }
  }
  if (twice.length) findings.fail(`${twice.length} images are live in more than one row: ${listSome(twice)}`);
}

async function viewIsAbsent(dir: string): Promise<boolean> {
  const present = await Promise.all(
    Object.values(viewPaths(dir)).map((path) =>
      lstat(path).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.every((exists) => !exists);
}

async function outputsFromShards(dir: string): Promise<LoadedOutputs> {
  const opened = await openCollection(dir);
  const {matrix, state} = opened;
  const metadata = viewMetadata({
    manifest: opened.manifest,
    shardIds: state.shards.map((shard) => shard.id),
    liveRows: matrix.rows,
    totalRows: opened.totalRows,
    fingerprint: opened.fingerprint,
    generation: '',
  });
  return {
    paths: viewPaths(dir),
    embeddings: {
      descr: '<f4',
      fortranOrder: false,
      shape: [matrix.rows, matrix.dims],
      payload: new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength),
    },
    rows: matrix.rows,
    columns: matrix.dims,
    filenames: opened.files,
    metadata: metadata as unknown as Record<string, unknown>,
  };
}

/** Undefined when `dir` is not a collection (no manifest): plain outputs, checked as before. */
export async function checkCollection(dir: string): Promise<CollectionCheck | undefined> {
  const findings = new Findings();
  let state: CollectionState | null;
  try {
    state = await readCollectionState(dir);
  } catch (error) {
    findings.fail(describeError(error));
    return {findings, viewAbsent: false};
  }
  if (!state) return undefined;
  if (state.missing.length)
    findings.fail(`the manifest lists shards whose folder is gone: ${listSome(state.missing)}`);
  const unlisted = state.shards.filter((shard) => !shard.listed).map((shard) => shard.id);
  if (unlisted.length)
    findings.note(
      `shards not in the manifest yet (a writer stopped early; 'visual-cortex merge' adds them): ${listSome(unlisted)}`,
    );
  if (state.strays.length)
    findings.note(`folders under shards/ that are not shards: ${listSome(state.strays)}`);
  const names = new Map<string, string[]>();
  for (const index of state.shards.keys()) {
    const shardNames = await checkShard(state, index, findings);
    if (shardNames) names.set(state.shards[index]!.id, shardNames);
  }
  checkTombstones(state, names, findings);
  checkDuplicates(state, names, findings);
  const live = liveRowCount(state);
  if (!findings.failed)
    findings.ok(
      `collection: ${state.shards.length} shards, ${live} live rows, ${state.manifest.tombstones.length} tombstones, checksums match`,
    );

  if (await viewIsAbsent(dir)) {
    findings.note(
      "no merged view (made with --no-merged-view; 'visual-cortex merge' writes it): the checks read the shards",
    );
    if (findings.failed) return {findings, viewAbsent: true};
    return {findings, viewAbsent: true, outputs: await outputsFromShards(dir)};
  }
  const view = await readViewMetadata(dir);
  const covered = view?.collection;
  if (covered && covered.fingerprint !== collectionFingerprint(state.shards, state.manifest))
    findings.note(
      `the merged view is older than the shards (it covers ${covered.live_rows} rows of ${covered.shards} shards; the collection has ${live} rows in ${state.shards.length}); 'visual-cortex merge' rebuilds it`,
    );
  else if (covered) findings.ok(`the merged view covers all ${state.shards.length} shards`);
  return {findings, viewAbsent: false};
}
