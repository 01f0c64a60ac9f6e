/**
 * Turns the joined sets into the groups the finder reports: the representative is the group's first row; every
 * other member says how it relates to the representative (same bytes, near hash, near embedding) and, when it
 * is none of those directly (a~b~c chains), which kind of pair brought it in.
 */
import {popcount32} from '../image/phash.js';
import type {EmbeddingMatrix} from '../search/exact-search.js';
import type {PhashColumn} from './phash-column.js';

export type EdgeKind = 'exact' | 'phash' | 'clip';
const EDGE_KINDS: readonly EdgeKind[] = ['exact', 'phash', 'clip']; // codes 1, 2, 3

export interface DuplicateMember {
  row: number;
  /**
   * 'representative' for the group's first row; else 'exact' (same SHA-256 as the representative), 'phash' (hash
   * within the threshold of the representative's), 'clip' (cosine with the representative's at least the
   * threshold), or, for a member joined only through others, the kind of the pair that joined it.
   */
  kind: 'representative' | EdgeKind;
  /** True when the member is linked to the representative only through other members. */
  transitive: boolean;
  /** Hamming distance of its perceptual hash to the representative's, when both have one. */
  phashDistance?: number;
  /** Cosine of its embedding with the representative's, when there are embeddings. */
  clipScore?: number;
}

export interface DuplicateGroup {
  /** The group's first row. */
  representative: number;
  /** The representative first, then the rest by row. */
  members: DuplicateMember[];
}

export interface GroupContext {
  sha256: readonly string[];
  phash?: PhashColumn;
  embeddings?: EmbeddingMatrix;
  /** Set when the method used hashes: a member this close to the representative is a 'phash' member. */
  phashThreshold?: number;
  clipThreshold?: number;
}

function cosine(matrix: EmbeddingMatrix, a: number, b: number): number {
  const {data, dims} = matrix;
  let sum = 0;
  for (let i = 0; i < dims; i++) sum += data[a * dims + i]! * data[b * dims + i]!;
  return sum;
}

function describeMember(
  row: number,
  representative: number,
  viaCode: number,
  context: GroupContext,
): DuplicateMember {
  const member: DuplicateMember = {row, kind: 'representative', transitive: false};
  const {phash, embeddings} = context;
  if (phash?.present[row] && phash.present[representative]) {
    member.phashDistance =
      popcount32(phash.hi[row]! ^ phash.hi[representative]!) +
      popcount32(phash.lo[row]! ^ phash.lo[representative]!);
  }
  if (embeddings) member.clipScore = cosine(embeddings, row, representative);
  if (row === representative) return member;
  const sha = context.sha256[row]!;
  if (sha !== '' && sha === context.sha256[representative]) member.kind = 'exact';
  else if (
    context.phashThreshold !== undefined &&
    (member.phashDistance ?? Infinity) <= context.phashThreshold
  )
    member.kind = 'phash';
  else if (context.clipThreshold !== undefined && (member.clipScore ?? -Infinity) >= context.clipThreshold)
    member.kind = 'clip';
  else {
    member.kind = EDGE_KINDS[viaCode - 1] ?? 'clip';
    member.transitive = true;
  }
  return member;
}

/** `sets` are ascending row lists; `via` holds, per row, the code (1-3) of the first pair that joined it. */
export function buildGroups(sets: number[][], via: Uint8Array, context: GroupContext): DuplicateGroup[] {
  return sets
    .map((rows) => {
      const representative = rows[0]!;
      return {
        representative,
        members: rows.map((row) => describeMember(row, representative, via[row]!, context)),
      };
    })
    .sort((a, b) => b.members.length - a.members.length || a.representative - b.representative);
}
