/**
 * Moving a scan's duplicates out of the images folder with the collection kept true: the collection's lock is held
 * throughout, the rows to move are tombstoned before any file moves (so the collection never points at a moved
 * file, even after a kill), files that did not move get their rows back, and the merged view is rewritten. Undo
 * restores the files from the journal, then lifts the tombstones of the rows whose files are back.
 */
import {join, resolve} from 'node:path';
import {isCollection} from '../collection/layout.js';
import {currentGeneration} from '../collection/merged-view.js';
import {type CollectionWriter, openCollectionWriter} from '../collection/writer.js';
import type {DuplicateGroup} from './groups.js';
import {defaultJournalPath, readJournal} from './move-journal.js';
import {type KeepRule, type MovePlan, type MoveRow, planMoves, unsafeName} from './move-plan.js';
import {executeMoves, type MoveEvent, type MoveReport} from './move-run.js';
import {type UndoOutcome, type UndoReport, undoMoves} from './move-undo.js';
import {exists} from './safe-move.js';
import type {DuplicateEntry, DuplicateScan} from './scan.js';
import {moveRowOf} from './scan-view.js';

export function planDuplicateMoves(scan: DuplicateScan, keep: KeepRule, moveTo: string): MovePlan {
  const rows: MoveRow[] = [];
  const groups: DuplicateGroup[] = scan.groups.map((group) => {
    for (const member of group.members) rows[member.row] = moveRowOf(member);
    return {
      representative: group.members[0]!.row,
      members: group.members.map(({row, kind, transitive}) => ({row, kind, transitive})),
    };
  });
  return planMoves({groups, rows, keep, imagesDir: scan.imagesDir, moveTo});
}

export interface ApplyReport {
  journalPath: string;
  moves: MoveReport;
  /** Rows tombstoned for files that moved (or were already gone). */
  tombstoned: number;
  /** Planned rows whose file stayed (changed, conflict, failed, not reached): their tombstones were lifted. */
  kept: number;
  /** Planned rows no longer live in the collection (an embed ran since the scan): left alone. */
  stale: number;
  viewRewritten: boolean;
  interrupted: boolean;
}

const reasonFor = (journalPath: string, kept: string) =>
  `moved out by 'visual-cortex duplicates' as a duplicate of ${kept}; journal ${journalPath}`;
const fromJournal = (reason: string, journalPath: string) => reason.endsWith(`; journal ${journalPath}`);

async function rewriteView(writer: CollectionWriter): Promise<boolean> {
  if (!(await currentGeneration(writer.dir))) return false;
  return (await writer.writeMergedView()) !== undefined;
}

export async function applyDuplicateMoves(
  options: {
    scan: DuplicateScan;
    plan: MovePlan;
    journalPath?: string;
    signal?: AbortSignal;
    onEvent?: (event: MoveEvent) => void;
  } & {now?: () => Date},
): Promise<ApplyReport> {
  const {scan, signal} = options;
  const dir = resolve(scan.embeddingsDir);
  const journalPath = resolve(
    options.journalPath ?? defaultJournalPath(options.plan.moveTo, options.now?.()),
  );
  const writer = await openCollectionWriter({
    embeddingsDir: dir,
    command: 'visual-cortex duplicates --apply',
  });
  try {
    const entries = new Map<number, DuplicateEntry>(
      scan.groups.flatMap((group) => group.members.map((member) => [member.row, member] as const)),
    );
    const live = new Map((await writer.liveRows()).map((row) => [`${row.shard}:${row.row}`, row.file]));
    const keyOf = (row: number) => `${entries.get(row)!.shard}:${entries.get(row)!.shardRow}`;
    const current = options.plan.moves.filter((move) => live.get(keyOf(move.row)) === move.file);
    const plan: MovePlan = {...options.plan, moves: current};
    await writer.tombstone(
      current.map((move) => ({
        shard: entries.get(move.row)!.shard,
        row: entries.get(move.row)!.shardRow,
        file: move.file,
        reason: reasonFor(journalPath, entries.get(move.keptRow)!.file),
      })),
    );
    // The merged view too forgets the rows before any file moves, so a kill leaves nothing pointing at them.
    let viewRewritten = current.length > 0 && (await rewriteView(writer));
    const moves = await executeMoves(plan, {
      journalPath,
      embeddingsDir: dir,
      signal,
      onEvent: options.onEvent,
    });
    const gone = new Set(
      moves.outcomes
        .filter((outcome) => ['moved', 'renamed', 'missing'].includes(outcome.status))
        .map((outcome) => keyOf(outcome.row)),
    );
    const lifted = await writer.liftTombstones(
      (tombstone) =>
        fromJournal(tombstone.reason, journalPath) && !gone.has(`${tombstone.shard}:${tombstone.row}`),
    );
    if (lifted.length > 0) viewRewritten = await rewriteView(writer);
    return {
      journalPath,
      moves,
      tombstoned: current.length - lifted.length,
      kept: lifted.length,
      stale: options.plan.moves.length - current.length,
      viewRewritten,
      interrupted: moves.interrupted,
    };
  } finally {
    await writer.close();
  }
}

export interface UndoApplyReport {
  journalPath: string;
  undo: UndoReport;
  embeddingsDir?: string;
  /** Rows brought back into the collection (their files are in place again). */
  rowsRestored: number;
  viewRewritten: boolean;
  interrupted: boolean;
}

export async function undoDuplicateMoves(options: {
  journalPath: string;
  embeddingsDir?: string;
  signal?: AbortSignal;
  onEvent?: (event: {type: 'item'; outcome: UndoOutcome; done: number; total: number}) => void;
}): Promise<UndoApplyReport> {
  const journalPath = resolve(options.journalPath);
  const {header, moves} = await readJournal(journalPath);
  const dirOption = options.embeddingsDir ?? header.embeddingsDir;
  const dir = dirOption && (await isCollection(dirOption)) ? resolve(dirOption) : undefined;
  // The lock first: no embed may sync the folder while its files come back.
  const writer = dir
    ? await openCollectionWriter({embeddingsDir: dir, command: 'visual-cortex duplicates --undo'})
    : undefined;
  try {
    const undo = await undoMoves({journalPath, signal: options.signal, onEvent: options.onEvent});
    let rowsRestored = 0;
    let viewRewritten = false;
    if (writer) {
      const back = new Set(
        undo.outcomes
          .filter((outcome) => outcome.status === 'restored' || outcome.status === 'in-place')
          .map((outcome) => outcome.from),
      );
      const journaled = new Set(moves.map((move) => move.from));
      const liveFiles = new Set((await writer.liveRows()).map((row) => row.file));
      const candidates =
        writer.state?.manifest.tombstones.filter((t) => fromJournal(t.reason, journalPath)) ?? [];
      const lift = new Set<string>();
      for (const tombstone of candidates) {
        const path = join(header.imagesDir, tombstone.file);
        // Tombstoned but never journaled: a kill before that file's move began; it is in place if it exists.
        const inPlace = back.has(path) || (!journaled.has(path) && (await exists(path)));
        if (inPlace && !liveFiles.has(tombstone.file)) lift.add(`${tombstone.shard}:${tombstone.row}`);
      }
      rowsRestored = (await writer.liftTombstones((t) => lift.has(`${t.shard}:${t.row}`))).length;
      if (rowsRestored > 0) viewRewritten = await rewriteView(writer);
    }
    return {
      journalPath,
      undo,
      ...(dir ? {embeddingsDir: dir} : {}),
      rowsRestored,
      viewRewritten,
      interrupted: undo.interrupted,
    };
  } finally {
    await writer?.close();
  }
}

/** A plan from the user's own marks (the dashboard's k/m): rows in `keep` stay, every other member moves. */
export function planMarkedMoves(scan: DuplicateScan, keep: ReadonlySet<number>, moveTo: string): MovePlan {
  const plan = planMoves({groups: [], rows: [], keep: 'first', imagesDir: scan.imagesDir, moveTo});
  scan.groups.forEach((group, index) => {
    const kept = group.members.find((member) => keep.has(member.row));
    if (!kept) return; // a group with nothing kept is left whole
    plan.kept.push({group: index, row: kept.row, file: kept.file});
    for (const member of group.members) {
      if (keep.has(member.row)) continue;
      const reason = unsafeName(member.file);
      if (reason) {
        plan.skipped.push({group: index, row: member.row, file: member.file, reason});
        continue;
      }
      plan.moves.push({
        group: index,
        row: member.row,
        file: member.file,
        from: join(plan.imagesDir, member.file),
        to: join(plan.moveTo, member.file),
        bytes: member.bytes,
        sha256: member.sha256 || undefined,
        keptRow: kept.row,
      });
      plan.bytes += member.bytes;
    }
  });
  return plan;
}
