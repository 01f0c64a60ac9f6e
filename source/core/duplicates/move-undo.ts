/**
 * Undoes a duplicates move from its journal: the moves in reverse order, each restored by what is on disk (only
 * the target: move it back; both names: drop the target if it is the same inode or an identical copy left by a
 * move that stopped before unlinking; only the source: nothing to do). Safe after a crash at any point of the move
 * or of an earlier undo, and safe to run twice; it never overwrites a file.
 */
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {mkdir, rm, stat, unlink} from 'node:fs/promises';
import {dirname} from 'node:path';
import {describeError} from '../errors.js';
import {type JournalMove, JournalWriter, readJournal} from './move-journal.js';
import {exists, moveFile, partialPath} from './safe-move.js';

export type UndoStatus = 'restored' | 'in-place' | 'missing' | 'conflict' | 'failed';

export interface UndoOutcome {
  from: string;
  to: string;
  status: UndoStatus;
  reason?: string;
}

export interface UndoReport {
  outcomes: UndoOutcome[];
  counts: Record<UndoStatus, number>;
  interrupted: boolean;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Whether `to` is a second name or a finished copy of `from`, left by a move that stopped before its unlink. */
async function isLeftoverCopy(move: JournalMove): Promise<boolean> {
  const [source, target] = [await stat(move.from), await stat(move.to)];
  if (source.dev === target.dev && source.ino === target.ino) return true;
  if (source.size !== target.size || target.size !== move.bytes) return false;
  return (await sha256Of(move.to)) === (move.sha256 ?? (await sha256Of(move.from)));
}

async function undoOne(move: JournalMove): Promise<Pick<UndoOutcome, 'status' | 'reason'>> {
  const [fromExists, toExists] = [await exists(move.from), await exists(move.to)];
  await rm(partialPath(move.to), {force: true}); // an interrupted cross-device copy's remains
  if (fromExists && !toExists) return {status: 'in-place'};
  if (!fromExists && !toExists) return {status: 'missing', reason: 'neither name exists any more'};
  if (fromExists) {
    if (!(await isLeftoverCopy(move)))
      return {status: 'conflict', reason: `${move.from} and ${move.to} both exist and differ; left both`};
    await unlink(move.to);
    return {status: 'restored'};
  }
  await mkdir(dirname(move.from), {recursive: true});
  await moveFile(move.to, move.from);
  return {status: 'restored'};
}

export async function undoMoves(options: {
  journalPath: string;
  signal?: AbortSignal;
  onEvent?: (event: {type: 'item'; outcome: UndoOutcome; done: number; total: number}) => void;
}): Promise<UndoReport> {
  const {moves} = await readJournal(options.journalPath);
  const counts: Record<UndoStatus, number> = {restored: 0, 'in-place': 0, missing: 0, conflict: 0, failed: 0};
  const outcomes: UndoOutcome[] = [];
  const journal = await JournalWriter.reopen(options.journalPath);
  let interrupted = false;
  try {
    for (const move of moves.reverse()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      let outcome: UndoOutcome;
      try {
        outcome = {from: move.from, to: move.to, ...(await undoOne(move))};
        if (outcome.status === 'restored') await journal.append({op: 'undone', id: move.id});
      } catch (error) {
        outcome = {from: move.from, to: move.to, status: 'failed', reason: describeError(error)};
      }
      counts[outcome.status]++;
      outcomes.push(outcome);
      options.onEvent?.({type: 'item', outcome, done: outcomes.length, total: moves.length});
    }
  } finally {
    await journal.close();
  }
  return {outcomes, counts, interrupted};
}
