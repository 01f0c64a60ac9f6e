/**
 * A scan as printed by `duplicates --json` and served by `GET /api/duplicates`: one stable shape, each group
 * saying which member its keep rule keeps.
 */
import {type KeepRule, keptRow, type MoveRow} from './move-plan.js';
import type {DuplicateEntry, DuplicateScan} from './scan.js';

export interface GroupView {
  kind: 'exact' | 'near';
  /** The member the keep rule keeps. */
  keep: string;
  members: (DuplicateEntry & {action: 'keep' | 'duplicate'})[];
}

export interface ScanView {
  embeddingsDir: string;
  imagesDir: string;
  method: DuplicateScan['method'];
  thresholds: {phash: number; clip: number};
  keep: KeepRule;
  rows: number;
  groupCount: number;
  duplicateRows: number;
  hashesComputed: number;
  hashesMissing: number;
  notes: string[];
  interrupted: boolean;
  seconds: number;
  groups: GroupView[];
}

/** What the move planner needs of a member. */
export function moveRowOf(member: DuplicateEntry): MoveRow {
  const {file, bytes, mtimeMs, width, height} = member;
  return {file, bytes, mtimeMs, width, height, sha256: member.sha256 || undefined};
}

export function groupKeeper(members: readonly DuplicateEntry[], keep: KeepRule): number {
  const rows: MoveRow[] = [];
  for (const member of members) rows[member.row] = moveRowOf(member);
  return keptRow(
    members.map((member) => member.row),
    keep,
    rows,
  );
}

export function viewScan(
  scan: DuplicateScan,
  keep: KeepRule,
  range = {offset: 0, limit: Infinity},
): ScanView {
  const groups = scan.groups.slice(range.offset, range.offset + range.limit).map((group): GroupView => {
    const kept = groupKeeper(group.members, keep);
    return {
      kind: group.kind,
      keep: group.members.find((member) => member.row === kept)!.file,
      members: group.members.map((member) => ({
        ...member,
        action: member.row === kept ? 'keep' : 'duplicate',
      })),
    };
  });
  return {
    embeddingsDir: scan.embeddingsDir,
    imagesDir: scan.imagesDir,
    method: scan.method,
    thresholds: {phash: scan.phashThreshold, clip: scan.clipThreshold},
    keep,
    rows: scan.rows,
    groupCount: scan.groups.length,
    duplicateRows: scan.duplicateRows,
    hashesComputed: scan.hashesComputed,
    hashesMissing: scan.hashesMissing,
    notes: scan.notes,
    interrupted: scan.interrupted,
    seconds: scan.seconds,
    groups,
  };
}
