/**
 * Executes a move plan (move-plan.ts). Each move is journaled (move-journal.ts) before it starts and marked done
 * after, so move-undo.ts can reverse it after a crash at any point; moves never overwrite (a taken name is refused
 * or the file gets a free `name (1).jpg`); a file that vanished or changed size since it was indexed is left
 * alone. One item's failure is its status, never the batch's end.
 */
import {lstat, mkdir} from 'node:fs/promises';
import {basename, dirname, extname, join} from 'node:path';
import {describeError} from '../errors.js';
import {JournalWriter} from './move-journal.js';
import type {MovePlan, PlannedMove} from './move-plan.js';
import {exists, moveFile, TargetExistsError} from './safe-move.js';

export type MoveStatus = 'moved' | 'renamed' | 'missing' | 'changed' | 'conflict' | 'failed';

export interface MoveOutcome {
  row: number;
  file: string;
  from: string;
  /** Where it went (a free name when the planned one was taken), or was to go. */
  to: string;
  status: MoveStatus;
  reason?: string;
}

export type MoveEvent =
  | {type: 'start'; moves: number; journalPath: string}
  | {type: 'item'; outcome: MoveOutcome; done: number; total: number};

export interface MoveReport {
  journalPath: string;
  outcomes: MoveOutcome[];
  counts: Record<MoveStatus, number>;
  interrupted: boolean;
}

export interface ExecuteMovesOptions {
  journalPath: string;
  /** When the target name is taken: 'rename' (default) picks `name (1).ext`; 'refuse' leaves the file. */
  onConflict?: 'rename' | 'refuse';
  signal?: AbortSignal;
  onEvent?: (event: MoveEvent) => void;
}

async function freeName(to: string): Promise<string> {
  const extension = extname(to);
  const stem = basename(to, extension);
  for (let n = 1; ; n++) {
    const candidate = join(dirname(to), `${stem} (${n})${extension}`);
    if (!(await exists(candidate))) return candidate;
  }
}

async function checkSource(move: PlannedMove): Promise<Pick<MoveOutcome, 'status' | 'reason'> | undefined> {
  const info = await lstat(move.from).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return {status: 'missing', reason: 'the file is gone'};
  if (!info.isFile()) return {status: 'failed', reason: 'not a regular file'};
  if (info.size !== move.bytes)
    return {
      status: 'changed',
      reason: `${info.size} bytes now, ${move.bytes} when indexed; re-run embed first`,
    };
  return undefined;
}

export async function executeMoves(plan: MovePlan, options: ExecuteMovesOptions): Promise<MoveReport> {
  const counts: Record<MoveStatus, number> = {
    moved: 0,
    renamed: 0,
    missing: 0,
    changed: 0,
    conflict: 0,
    failed: 0,
  };
  const outcomes: MoveOutcome[] = [];
  await mkdir(plan.moveTo, {recursive: true});
  const journal = await JournalWriter.create(options.journalPath, {
    createdAt: new Date().toISOString(),
    imagesDir: plan.imagesDir,
    moveTo: plan.moveTo,
  });
  options.onEvent?.({type: 'start', moves: plan.moves.length, journalPath: journal.path});
  let interrupted = false;
  try {
    for (const [id, move] of plan.moves.entries()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const outcome: MoveOutcome = {
        row: move.row,
        file: move.file,
        from: move.from,
        to: move.to,
        status: 'moved',
      };
      try {
        const problem = await checkSource(move);
        if (problem) Object.assign(outcome, problem);
        else {
          await mkdir(dirname(move.to), {recursive: true});
          if (await exists(move.to)) {
            if (options.onConflict === 'refuse')
              Object.assign(outcome, {status: 'conflict', reason: `${move.to} exists`});
            else Object.assign(outcome, {status: 'renamed', to: await freeName(move.to)});
          }
          if (outcome.status === 'moved' || outcome.status === 'renamed') {
            await journal.append({
              op: 'move',
              id,
              from: move.from,
              to: outcome.to,
              bytes: move.bytes,
              sha256: move.sha256,
            });
            try {
              const how = await moveFile(move.from, outcome.to);
              await journal.append({op: 'done', id, how});
            } catch (error) {
              await journal.append({op: 'failed', id, reason: describeError(error)});
              throw error;
            }
          }
        }
      } catch (error) {
        const status = error instanceof TargetExistsError ? 'conflict' : 'failed';
        Object.assign(outcome, {status, reason: describeError(error)});
      }
      counts[outcome.status]++;
      outcomes.push(outcome);
      options.onEvent?.({type: 'item', outcome, done: outcomes.length, total: plan.moves.length});
    }
  } finally {
    await journal.close();
  }
  return {journalPath: journal.path, outcomes, counts, interrupted};
}
