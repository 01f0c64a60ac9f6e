/**
 * The journal of a duplicates move: JSON lines, each fsynced before the next step, so that after any crash it
 * says which moves may have happened. A move is recorded before it starts and marked done after; undo replays it
 * in reverse. A torn last line (a crash mid-write) is ignored; any other unreadable line is an error.
 */
import {type FileHandle, open, readFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {UserError} from '../errors.js';
import {syncDirectory} from '../fs/atomic-write.js';

export const JOURNAL_FORMAT = 'visual-cortex-duplicate-moves';

export interface JournalHeader {
  journal: typeof JOURNAL_FORMAT;
  version: 1;
  createdAt: string;
  imagesDir: string;
  moveTo: string;
}

export type JournalEntry =
  | {op: 'move'; id: number; from: string; to: string; bytes: number; sha256?: string}
  | {op: 'done'; id: number; how: 'link' | 'copy' | 'rename'}
  | {op: 'failed'; id: number; reason: string}
  | {op: 'undone'; id: number};

/** `duplicate-moves-20261128-153000.jsonl` in the move-to folder. */
export function defaultJournalPath(moveTo: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join(moveTo, `duplicate-moves-${stamp}.jsonl`);
}

export class JournalWriter {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates a new journal (never reuses a file) and writes its header. */
  static async create(
    path: string,
    header: Omit<JournalHeader, 'journal' | 'version'>,
  ): Promise<JournalWriter> {
    const handle = await open(path, 'wx').catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw new UserError(
        `the journal ${path} already exists`,
        'give another journal path, or undo that run first',
      );
    });
    const writer = new JournalWriter(path, handle);
    await writer.append({journal: JOURNAL_FORMAT, version: 1, ...header});
    await syncDirectory(dirname(path));
    return writer;
  }

  /** Appends to an existing journal (undo records what it restored). */
  static async reopen(path: string): Promise<JournalWriter> {
    return new JournalWriter(path, await open(path, 'a'));
  }

  async append(line: JournalHeader | JournalEntry): Promise<void> {
    await this.handle.write(`${JSON.stringify(line)}\n`);
    await this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export interface JournalMove {
  id: number;
  from: string;
  to: string;
  bytes: number;
  sha256?: string;
  state: 'started' | 'done' | 'failed' | 'undone';
}

export async function readJournal(path: string): Promise<{header: JournalHeader; moves: JournalMove[]}> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read the journal ${path} (${(error as NodeJS.ErrnoException).code})`,
      'give the path of a duplicate-moves-*.jsonl file',
    );
  }
  // Every complete line ends with a newline; a last piece without one was torn by a crash and is dropped.
  const complete = text.split('\n').slice(0, -1);
  const parsed = complete.map((line, index) => {
    try {
      return JSON.parse(line) as JournalHeader | JournalEntry;
    } catch {
      throw new UserError(
        `line ${index + 1} of the journal ${path} is not JSON`,
        'the journal was edited or damaged; restore the files by hand from its readable lines',
      );
    }
  });
  const header = parsed[0] as JournalHeader | undefined;
  if (header?.journal !== JOURNAL_FORMAT || header.version !== 1)
    throw new UserError(
      `${path} is not a duplicate-moves journal`,
      'give the path of a duplicate-moves-*.jsonl file',
    );
  const moves = new Map<number, JournalMove>();
  for (const entry of parsed.slice(1) as JournalEntry[]) {
    if (entry.op === 'move') {
      moves.set(entry.id, {
        id: entry.id,
        from: entry.from,
        to: entry.to,
        bytes: entry.bytes,
        sha256: entry.sha256,
        state: 'started',
      });
      continue;
    }
    const move = moves.get(entry.id);
    if (move) move.state = entry.op;
  }
  return {header, moves: [...moves.values()]};
}
