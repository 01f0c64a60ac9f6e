/**
 * Which duplicates to move out, and where: per group one row is kept (`--keep largest|oldest|first`), the others
 * go from the images folder to `--move-to DIR` under the same relative path. Planning touches no file; this is
 * the dry run, and move-run.ts executes a plan.
 */
import {isAbsolute, join, normalize, relative, resolve, sep} from 'node:path';
import {UserError} from '../errors.js';
import type {DuplicateGroup} from './groups.js';

export type KeepRule = 'largest' | 'oldest' | 'first';
export const KEEP_RULES: readonly KeepRule[] = ['largest', 'oldest', 'first'];

/** What the collection knows of a row (its `images` columns and file name). */
export interface MoveRow {
  /** Relative to the images folder. */
  file: string;
  bytes: number;
  mtimeMs: number;
  width: number;
  height: number;
  sha256?: string;
}

export interface PlannedMove {
  /** Index into the plan's groups. */
  group: number;
  row: number;
  file: string;
  /** Absolute paths. */
  from: string;
  to: string;
  bytes: number;
  sha256?: string;
  /** The row kept in its place. */
  keptRow: number;
}

export interface MovePlan {
  imagesDir: string;
  moveTo: string;
  keep: KeepRule;
  kept: {group: number; row: number; file: string}[];
  moves: PlannedMove[];
  /** Rows that cannot be moved safely (a name outside the images folder), with the reason. */
  skipped: {group: number; row: number; file: string; reason: string}[];
  bytes: number;
}

export interface PlanMovesOptions {
  groups: readonly DuplicateGroup[];
  /** Indexed by row. */
  rows: readonly MoveRow[];
  keep: KeepRule;
  imagesDir: string;
  moveTo: string;
}

const inside = (parent: string, child: string) => {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
};

/** The row a group keeps: most pixels then bytes, earliest mtime, or first; ties go to the earlier row. */
export function keptRow(rows: readonly number[], keep: KeepRule, info: readonly MoveRow[]): number {
  const better = (a: number, b: number): boolean => {
    const [x, y] = [info[a]!, info[b]!];
    if (keep === 'largest') {
      const [px, py] = [x.width * x.height, y.width * y.height];
      return px !== py ? px > py : x.bytes !== y.bytes ? x.bytes > y.bytes : a < b;
    }
    if (keep === 'oldest') return x.mtimeMs !== y.mtimeMs ? x.mtimeMs < y.mtimeMs : a < b;
    return a < b;
  };
  return rows.reduce((best, row) => (better(row, best) ? row : best));
}

/** Why a stored name cannot be moved, or undefined when it is a plain relative path. */
function unsafeName(file: string): string | undefined {
  if (file === '' || isAbsolute(file)) return 'the name is not relative to the images folder';
  if (normalize(file).split(sep).includes('..') || file.split('/').includes('..'))
    return 'the name leaves the images folder';
  return undefined;
}

export function planMoves(options: PlanMovesOptions): MovePlan {
  const imagesDir = resolve(options.imagesDir);
  const moveTo = resolve(options.moveTo);
  if (inside(imagesDir, moveTo) || inside(moveTo, imagesDir)) {
    throw new UserError(
      `--move-to ${moveTo} ${inside(imagesDir, moveTo) ? 'is inside' : 'contains'} the images folder ${imagesDir}`,
      'move duplicates to a folder beside the images folder, e.g. --move-to ../duplicates (inside it, the next embed would index them again)',
    );
  }
  const plan: MovePlan = {imagesDir, moveTo, keep: options.keep, kept: [], moves: [], skipped: [], bytes: 0};
  options.groups.forEach((group, index) => {
    const rows = group.members.map((member) => member.row);
    const keep = keptRow(rows, options.keep, options.rows);
    plan.kept.push({group: index, row: keep, file: options.rows[keep]!.file});
    for (const row of rows) {
      if (row === keep) continue;
      const info = options.rows[row]!;
      const reason = unsafeName(info.file);
      if (reason) {
        plan.skipped.push({group: index, row, file: info.file, reason});
        continue;
      }
      plan.moves.push({
        group: index,
        row,
        file: info.file,
        from: join(imagesDir, info.file),
        to: join(moveTo, info.file),
        bytes: info.bytes,
        sha256: info.sha256,
        keptRow: keep,
      });
      plan.bytes += info.bytes;
    }
  });
  return plan;
}
