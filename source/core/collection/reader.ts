/**
 * Reading a collection for search, serve and validate: the header from the manifest, then every shard's two .npy
 * files, each checked against its SHA-256, assembled into one matrix of the live rows (tombstoned rows left out).
 * Row ids are positions in that live concatenation, which is also the merged view's row order.
 */
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {mapWithConcurrency} from '../embed/concurrency.js';
import {UserError} from '../errors.js';
import {parseNpy, readUnicodeArray} from '../npy.js';
import {SHARD_FILES, shardDir} from './layout.js';
import {
  type CollectionState,
  liveRowsOf,
  readCollectionState,
  type ShardRef,
  tombstonesByShard,
} from './state.js';
import type {CollectionHeader, Manifest} from './types.js';

export interface CollectionMatrix {
  /** rows x dims, row-major. */
  data: Float32Array;
  rows: number;
  dims: number;
}

export interface OpenedCollection {
  dir: string;
  header: CollectionHeader;
  manifest: Manifest;
  state: CollectionState;
  /** Names of the live rows, in row order (relative to header.images_dir). */
  files: string[];
  matrix: CollectionMatrix;
  /** Rows in the shards, tombstoned ones included. */
  totalRows: number;
  /** Changes whenever the live rows do: an HNSW index built for another fingerprint is stale. */
  fingerprint: string;
  notes: string[];
}

/** Shards read at once: reading is I/O, and each holds one shard's bytes in memory. */
const READ_CONCURRENCY = 4;

export function corruptShard(dir: string, id: string, what: string): UserError {
  return new UserError(
    `shard ${id} of the collection in ${dir} is damaged: ${what}`,
    `delete the folder ${shardDir(dir, id)}, then run 'visual-cortex embed' on the images folder again: it embeds that shard's images again`,
  );
}

export function notACollection(dir: string): UserError {
  return new UserError(
    `${dir} is not a collection (no manifest.json)`,
    "run 'visual-cortex embed' into it first, or point at a folder of outputs",
  );
}

/** Refusals for shards the manifest lists but that are gone; notes for shards it does not list yet. */
export function stateNotes(state: CollectionState): string[] {
  if (state.missing.length > 0) {
    throw new UserError(
      `the collection in ${state.dir} lists shard${state.missing.length > 1 ? 's' : ''} ${state.missing.join(', ')} but ${state.missing.length > 1 ? 'they are' : 'it is'} gone`,
      "run 'visual-cortex embed' on the images folder again: it drops the lost shards and embeds their images again",
    );
  }
  const notes: string[] = [];
  const unlisted = state.shards.filter((shard) => !shard.listed).map((shard) => shard.id);
  if (unlisted.length > 0)
    notes.push(
      `shard${unlisted.length > 1 ? 's' : ''} ${unlisted.join(', ')} ${unlisted.length > 1 ? 'are' : 'is'} committed but not in the manifest yet (a writer stopped early); 'visual-cortex merge' adds ${unlisted.length > 1 ? 'them' : 'it'}`,
    );
  return notes;
}

export function collectionFingerprint(shards: readonly ShardRef[], manifest: Manifest): string {
  const hash = createHash('sha256').update('visual-cortex-collection-1\n');
  for (const shard of shards)
    hash.update(
      `${shard.id} ${shard.files['embeddings.npy'].sha256} ${shard.files['filenames.npy'].sha256}\n`,
    );
  const dead = manifest.tombstones.map((tombstone) => `${tombstone.shard}:${tombstone.row}`).sort();
  hash.update(`tombstones ${dead.join(',')}\n`);
  return hash.digest('hex');
}

/** Reads one shard file and checks it against the checksum the manifest (or shard.json) recorded. */
export async function readShardFile(
  dir: string,
  shard: ShardRef,
  name: keyof ShardRef['files'],
): Promise<Buffer> {
  const path = join(shardDir(dir, shard.id), name);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw corruptShard(dir, shard.id, `${name} cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
  const expected = shard.files[name];
  if (
    bytes.byteLength !== expected.bytes ||
    createHash('sha256').update(bytes).digest('hex') !== expected.sha256
  )
    throw corruptShard(dir, shard.id, `${name} does not match its recorded SHA-256`);
  return bytes;
}

export async function readShardNames(dir: string, shard: ShardRef): Promise<string[]> {
  const names = readUnicodeArray(await readShardFile(dir, shard, SHARD_FILES.filenames));
  if (names.length !== shard.rows)
    throw corruptShard(dir, shard.id, `${names.length} filenames for ${shard.rows} rows`);
  return names;
}

/** The payload as float32 without a copy when it is aligned (it is: .npy headers are padded to 64 bytes). */
export function float32View(payload: Uint8Array): Float32Array {
  if (payload.byteOffset % 4 === 0)
    return new Float32Array(payload.buffer, payload.byteOffset, payload.byteLength / 4);
  return new Float32Array(new Uint8Array(payload).buffer);
}

/** A shard's live rows (views into its bytes) and their names, checked against the recorded checksums. */
export async function readShardRows(
  dir: string,
  shard: ShardRef,
  dims: number,
  dead: ReadonlySet<number> | undefined,
): Promise<{rows: Float32Array[]; files: string[]}> {
  const array = parseNpy(await readShardFile(dir, shard, SHARD_FILES.embeddings));
  if (array.descr !== '<f4' || array.shape[0] !== shard.rows || array.shape[1] !== dims)
    throw corruptShard(
      dir,
      shard.id,
      `embeddings.npy is ${array.descr} ${array.shape.join(' x ')}, expected <f4 ${shard.rows} x ${dims}`,
    );
  const matrix = float32View(array.payload);
  const names = await readShardNames(dir, shard);
  const rows: Float32Array[] = [];
  const files: string[] = [];
  for (let row = 0; row < shard.rows; row++) {
    if (dead?.has(row)) continue;
    rows.push(matrix.subarray(row * dims, (row + 1) * dims));
    files.push(names[row]!);
  }
  return {rows, files};
}

export async function openCollection(dir: string): Promise<OpenedCollection> {
  const state = await readCollectionState(dir);
  if (!state) throw notACollection(dir);
  const notes = stateNotes(state);
  const {manifest} = state;
  const dims = manifest.header.embedding_dim;
  const dead = tombstonesByShard(manifest);
  // Each shard's place in the matrix is known before any is read, so shards can be read out of order.
  const offsets: number[] = [];
  let live = 0;
  let totalRows = 0;
  for (const shard of state.shards) {
    offsets.push(live);
    live += liveRowsOf(shard, dead);
    totalRows += shard.rows;
  }
  const data = new Float32Array(live * dims);
  const names = await mapWithConcurrency(state.shards, READ_CONCURRENCY, async (shard, index) => {
    const {rows, files} = await readShardRows(dir, shard, dims, dead.get(shard.id));
    for (const [at, row] of rows.entries()) data.set(row, (offsets[index]! + at) * dims);
    return files;
  });
  return {
    dir,
    header: manifest.header,
    manifest,
    state,
    files: names.flat(),
    matrix: {data, rows: live, dims},
    totalRows,
    fingerprint: collectionFingerprint(state.shards, manifest),
    notes,
  };
}
