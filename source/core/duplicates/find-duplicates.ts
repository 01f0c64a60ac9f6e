/**
 * The duplicates finder: rows with the same SHA-256 (exact copies), with perceptual hashes within a Hamming
 * distance (resized, re-encoded, lightly edited copies) and/or with embeddings within a cosine (the same scene,
 * as CLIP sees it) are joined transitively into groups. Pure over the columns it is given; reading them from a
 * collection, and what to do with the groups, belong to the caller. docs/duplicates.md explains the defaults.
 */
import {isAbortError, UserError} from '../errors.js';
import type {EmbeddingMatrix} from '../search/exact-search.js';
import {
  EXACT_PAIR_ROWS,
  forEachExactClipPair,
  forEachNeighbourClipPair,
  hnswNeighbours,
  type NeighbourFn,
} from './clip-pairs.js';
import {buildGroups, type DuplicateGroup, type EdgeKind} from './groups.js';
import type {PhashColumn} from './phash-column.js';
import {forEachPhashPair} from './phash-pairs.js';
import {UnionFind} from './union-find.js';

export type {DuplicateGroup, DuplicateMember} from './groups.js';

export type DuplicateMethod = 'clip' | 'phash' | 'both';
export const DUPLICATE_METHODS: readonly DuplicateMethod[] = ['clip', 'phash', 'both'];

/** Copies made by photo tools measured <= 8 bits apart, distinct photos >= 24 (docs/duplicates.md). */
export const DEFAULT_PHASH_THRESHOLD = 10;
/** Cosine of CLIP image embeddings; published practice ranges 0.94-0.98 (docs/duplicates.md). */
export const DEFAULT_CLIP_THRESHOLD = 0.95;

export type DuplicateStage = 'exact' | 'phash' | 'clip-index' | 'clip';

export type DuplicateEvent =
  | {type: 'start'; rows: number; method: DuplicateMethod}
  | {type: 'stage'; stage: DuplicateStage}
  | {type: 'progress'; stage: DuplicateStage; fraction: number}
  | {type: 'done'; groups: number; seconds: number};

export interface FindDuplicatesOptions {
  /** One per row; an empty string is a row whose bytes are unknown (never an exact duplicate). */
  sha256: readonly string[];
  phash?: PhashColumn;
  /** Rows x dims, rows L2-normalised, aligned with sha256. */
  embeddings?: EmbeddingMatrix;
  /** Candidate neighbours for the clip method; default: all pairs up to EXACT_PAIR_ROWS rows, else HNSW. */
  neighbours?: NeighbourFn;
  method: DuplicateMethod;
  phashThreshold?: number;
  clipThreshold?: number;
  /** Neighbours per row asked of the neighbour function (default 10). */
  k?: number;
  signal?: AbortSignal;
  onEvent?: (event: DuplicateEvent) => void;
}

export interface DuplicateReport {
  method: DuplicateMethod;
  rows: number;
  phashThreshold: number;
  clipThreshold: number;
  /** How clip candidates were found; null when the method does not use embeddings. */
  clipSearch: 'all-pairs' | 'hnsw' | 'given' | null;
  /** Pairs that joined two groups, by kind (pairs inside an existing group are not counted). */
  joins: Record<EdgeKind, number>;
  /** Largest first; only groups of two or more rows. */
  groups: DuplicateGroup[];
  /** The rows that would go if one per group were kept. */
  duplicateRows: number;
  interrupted: boolean;
  seconds: number;
}

function validate(options: FindDuplicatesOptions): {phashThreshold: number; clipThreshold: number} {
  const rows = options.sha256.length;
  const phashThreshold = options.phashThreshold ?? DEFAULT_PHASH_THRESHOLD;
  const clipThreshold = options.clipThreshold ?? DEFAULT_CLIP_THRESHOLD;
  if (!Number.isInteger(phashThreshold) || phashThreshold < 0 || phashThreshold > 32)
    throw new UserError(
      `the perceptual-hash threshold must be 0-32 bits, got ${phashThreshold}`,
      'the default is 10',
    );
  if (!(clipThreshold > 0 && clipThreshold <= 1))
    throw new UserError(
      `the CLIP threshold is a cosine in (0, 1], got ${clipThreshold}`,
      'the default is 0.95',
    );
  const usesPhash = options.method !== 'clip';
  const usesClip = options.method !== 'phash';
  if (usesPhash && !options.phash)
    throw new UserError('these embeddings have no perceptual hashes', 'find duplicates with --method clip');
  if (usesClip && !options.embeddings)
    throw new UserError('there are no embeddings to compare', 'find duplicates with --method phash');
  if (options.phash && options.phash.present.length !== rows)
    throw new RangeError(`${options.phash.present.length} perceptual hashes for ${rows} rows`);
  if (options.embeddings && options.embeddings.rows !== rows)
    throw new RangeError(`${options.embeddings.rows} embeddings for ${rows} rows`);
  return {phashThreshold, clipThreshold};
}

export async function findDuplicates(options: FindDuplicatesOptions): Promise<DuplicateReport> {
  const started = performance.now();
  const {phashThreshold, clipThreshold} = validate(options);
  const {sha256, method, signal} = options;
  const rows = sha256.length;
  const emit = options.onEvent ?? (() => {});
  emit({type: 'start', rows, method});
  const sets = new UnionFind(rows);
  const via = new Uint8Array(rows); // 0 = not joined yet, else the EdgeKind code of the first join
  const joins: Record<EdgeKind, number> = {exact: 0, phash: 0, clip: 0};
  const join = (kind: EdgeKind, code: number) => (a: number, b: number) => {
    if (!sets.union(a, b)) return;
    joins[kind]++;
    if (via[a] === 0) via[a] = code;
    if (via[b] === 0) via[b] = code;
  };
  let interrupted = false;
  let clipSearch: DuplicateReport['clipSearch'] = null;

  emit({type: 'stage', stage: 'exact'});
  const firstWithHash = new Map<string, number>();
  const joinExact = join('exact', 1);
  for (let row = 0; row < rows; row++) {
    const hash = sha256[row]!;
    if (hash === '') continue;
    const first = firstWithHash.get(hash);
    if (first === undefined) firstWithHash.set(hash, row);
    else joinExact(first, row);
  }
  firstWithHash.clear();

  if (method !== 'clip' && !signal?.aborted) {
    emit({type: 'stage', stage: 'phash'});
    const outcome = await forEachPhashPair(options.phash!, join('phash', 2), {
      threshold: phashThreshold,
      signal,
      onProgress: (fraction) => emit({type: 'progress', stage: 'phash', fraction}),
    });
    interrupted ||= outcome.interrupted;
  }

  if (method !== 'phash' && !signal?.aborted) {
    const matrix = options.embeddings!;
    const pairOptions = {
      threshold: clipThreshold,
      k: options.k,
      signal,
      onProgress: (fraction: number) => emit({type: 'progress', stage: 'clip', fraction}),
    };
    const joinClip = join('clip', 3);
    try {
      let neighbours = options.neighbours;
      clipSearch = neighbours ? 'given' : matrix.rows <= EXACT_PAIR_ROWS ? 'all-pairs' : 'hnsw';
      if (clipSearch === 'hnsw') {
        emit({type: 'stage', stage: 'clip-index'});
        neighbours = await hnswNeighbours(matrix, {
          signal,
          onProgress: (fraction) => emit({type: 'progress', stage: 'clip-index', fraction}),
        });
      }
      emit({type: 'stage', stage: 'clip'});
      const outcome = neighbours
        ? await forEachNeighbourClipPair(rows, neighbours, joinClip, pairOptions)
        : await forEachExactClipPair(matrix, joinClip, pairOptions);
      interrupted ||= outcome.interrupted;
    } catch (error) {
      if (!isAbortError(error) && !signal?.aborted) throw error;
      interrupted = true;
    }
  }
  interrupted ||= Boolean(signal?.aborted);

  const groups = buildGroups(sets.sets(), via, {
    sha256,
    phash: options.phash,
    embeddings: options.embeddings,
    phashThreshold: method === 'clip' ? undefined : phashThreshold,
    clipThreshold: method === 'phash' ? undefined : clipThreshold,
  });
  const seconds = (performance.now() - started) / 1000;
  emit({type: 'done', groups: groups.length, seconds});
  return {
    method,
    rows,
    phashThreshold,
    clipThreshold,
    clipSearch,
    joins,
    groups,
    duplicateRows: groups.reduce((sum, group) => sum + group.members.length - 1, 0),
    interrupted,
    seconds,
  };
}
