/**
 * `duplicates` over a collection: reads the live rows (names, SHA-256, sizes, stored perceptual hashes and, for
 * the clip method, the embeddings), makes the hashes that older shards lack from the files, finds the groups
 * (find-duplicates.ts) and describes each member as the user sees it: name, bytes, resolution, score.
 */
import {join} from 'node:path';
import {readLiveRows} from '../collection/live-index.js';
import {openCollection, stateNotes} from '../collection/reader.js';
import {readCollectionState} from '../collection/state.js';
import {mapWithConcurrency} from '../embed/concurrency.js';
import {UserError} from '../errors.js';
import {decodeImageRgb} from '../image/decode-image.js';
import {perceptualHash, phashToHex} from '../image/phash.js';
import {probeImage} from '../image/sharp-image.js';
import {
  type DuplicateEvent,
  type DuplicateMethod,
  type DuplicateReport,
  findDuplicates,
} from './find-duplicates.js';
import {phashColumn} from './phash-column.js';

export interface DuplicateEntry {
  /** Live row id (the merged view's row). */
  row: number;
  file: string;
  shard: string;
  shardRow: number;
  sha256: string;
  bytes: number;
  mtimeMs: number;
  /** From the file's header; 0 when it cannot be read (then `missing` says why). */
  width: number;
  height: number;
  missing?: string;
  kind: 'representative' | 'exact' | 'phash' | 'clip';
  transitive: boolean;
  phashDistance?: number;
  clipScore?: number;
}

export interface DuplicateSet {
  /** `exact`: every member has the same bytes; `near`: at least one is a near copy. */
  kind: 'exact' | 'near';
  members: DuplicateEntry[];
}

export type ScanEvent =
  | {type: 'loaded'; rows: number; missingHashes: number}
  | {type: 'hashing'; done: number; total: number}
  | DuplicateEvent;

export interface ScanOptions {
  embeddingsDir: string;
  method: DuplicateMethod;
  phashThreshold?: number;
  clipThreshold?: number;
  signal?: AbortSignal;
  onEvent?: (event: ScanEvent) => void;
}

export interface DuplicateScan {
  embeddingsDir: string;
  imagesDir: string;
  method: DuplicateMethod;
  phashThreshold: number;
  clipThreshold: number;
  rows: number;
  groups: DuplicateSet[];
  duplicateRows: number;
  /** Hashes made from the files because their shard had none (older shards, cache hits, uploads). */
  hashesComputed: number;
  /** Rows whose hash could not be made (file gone or unreadable): they only match by SHA-256 or CLIP. */
  hashesMissing: number;
  clipSearch: DuplicateReport['clipSearch'];
  notes: string[];
  interrupted: boolean;
  seconds: number;
}

/** Files decoded at once for missing hashes: decoding is CPU in libvips/libjpeg, off the event loop. */
const HASH_CONCURRENCY = 2;

/** A stored hash, or null when absent or not 16 hex digits (a hand-edited shard.json must not stop the scan). */
function parseHash(hash: string | null): bigint | null {
  return hash !== null && /^[0-9a-f]{16}$/i.test(hash) ? BigInt(`0x${hash}`) : null;
}

async function hashFile(path: string): Promise<string | null> {
  try {
    return phashToHex(perceptualHash(await decodeImageRgb(path)));
  } catch {
    return null;
  }
}

async function imageSize(path: string): Promise<{width: number; height: number; missing?: string}> {
  try {
    const {width, height} = await probeImage(path);
    return {width, height};
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' || /missing|no such file/i.test(String(error)) ? 'file gone' : 'unreadable';
    return {width: 0, height: 0, missing: reason};
  }
}

export async function scanDuplicates(options: ScanOptions): Promise<DuplicateScan> {
  const started = performance.now();
  const {embeddingsDir: dir, method, signal} = options;
  const emit = options.onEvent ?? (() => {});
  const state = await readCollectionState(dir);
  if (!state)
    throw new UserError(
      `${dir} is not a collection (no manifest.json)`,
      "duplicates reads a collection: run 'visual-cortex embed --images DIR --embeddings DIR' first, or point --embeddings at one",
    );
  const notes = stateNotes(state);
  const imagesDir = state.manifest.header.images_dir;
  const live = await readLiveRows(state);
  const usesClip = method !== 'phash';
  const opened = usesClip ? await openCollection(dir) : undefined;
  if (opened && opened.files.length !== live.length)
    throw new Error(`collection changed while read: ${opened.files.length} rows vs ${live.length}`);

  const hashes: (string | null)[] = live.map((row) => row.phash);
  const lacking = method === 'clip' ? [] : hashes.flatMap((hash, row) => (hash === null ? [row] : []));
  emit({type: 'loaded', rows: live.length, missingHashes: lacking.length});
  let hashesComputed = 0;
  let done = 0;
  await mapWithConcurrency(lacking, HASH_CONCURRENCY, async (row) => {
    if (signal?.aborted) return;
    hashes[row] = await hashFile(join(imagesDir, live[row]!.file));
    if (hashes[row] !== null) hashesComputed++;
    emit({type: 'hashing', done: ++done, total: lacking.length});
  });
  const hashesMissing = method === 'clip' ? 0 : hashes.filter((hash) => hash === null).length;
  if (lacking.length > 0)
    notes.push(
      `${lacking.length} row${lacking.length === 1 ? '' : 's'} had no stored perceptual hash (shards written before hashes were kept, or vectors from the cache); made ${hashesComputed} from the files${hashesMissing > 0 ? `, ${hashesMissing} could not be read` : ''}`,
    );

  const report = await findDuplicates({
    sha256: live.map((row) => row.sha256),
    phash: method === 'clip' ? undefined : phashColumn(hashes.map(parseHash)),
    embeddings: opened?.matrix,
    method,
    phashThreshold: options.phashThreshold,
    clipThreshold: options.clipThreshold,
    signal,
    onEvent: emit,
  });
  const groups = await mapWithConcurrency(report.groups, 4, async (group): Promise<DuplicateSet> => {
    const members = await Promise.all(
      group.members.map(async (member): Promise<DuplicateEntry> => {
        const row = live[member.row]!;
        return {
          row: member.row,
          file: row.file,
          shard: row.shard,
          shardRow: row.row,
          sha256: row.sha256,
          bytes: row.bytes,
          mtimeMs: row.mtime_ms,
          ...(await imageSize(join(imagesDir, row.file))),
          kind: member.kind,
          transitive: member.transitive,
          ...(member.phashDistance === undefined ? {} : {phashDistance: member.phashDistance}),
          ...(member.clipScore === undefined ? {} : {clipScore: member.clipScore}),
        };
      }),
    );
    const exact = members.every((member) => member.kind === 'representative' || member.kind === 'exact');
    return {kind: exact ? 'exact' : 'near', members};
  });
  return {
    embeddingsDir: dir,
    imagesDir,
    method,
    phashThreshold: report.phashThreshold,
    clipThreshold: report.clipThreshold,
    rows: live.length,
    groups,
    duplicateRows: report.duplicateRows,
    hashesComputed,
    hashesMissing,
    clipSearch: report.clipSearch,
    notes: [...notes, ...(opened?.notes ?? []).filter((note) => !notes.includes(note))],
    interrupted: report.interrupted || Boolean(signal?.aborted),
    seconds: (performance.now() - started) / 1000,
  };
}
