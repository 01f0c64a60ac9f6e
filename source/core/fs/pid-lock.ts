/**
 * A lock file that names the process holding it, so that two runs of the same job (two `models pull` of one
 * model into one folder) cannot write the same files at once. A lock whose process is gone (a crash, a kill -9)
 * is taken over; one whose process is alive, this one included, is refused with `onHeld`'s error.
 */
import {mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {dirname} from 'node:path';

export interface PidLock {
  release(): Promise<void>;
}

export interface LockBody {
  pid: number;
  started: string;
  /** What the holder runs, when it said (for the message that names it). */
  command?: string;
}

/** Takes the lock at `path`, or throws what `onHeld` returns for the live process that holds it. */
export async function acquirePidLock(
  path: string,
  onHeld: (holder: LockBody) => Error,
  command?: string,
): Promise<PidLock> {
  await mkdir(dirname(path), {recursive: true});
  const body: LockBody = {pid: process.pid, started: new Date().toISOString(), ...(command ? {command} : {})};
  // Two tries: the second follows the removal of a lock left by a process that no longer runs.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${JSON.stringify(body)}\n`, {flag: 'wx'});
      return {release: () => rm(path, {force: true})};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    if (holder ? isProcessAlive(holder.pid) : await isFresh(path)) throw onHeld(holder ?? UNKNOWN_HOLDER);
    await rm(path, {force: true});
  }
  throw onHeld((await readHolder(path)) ?? UNKNOWN_HOLDER);
}

const UNKNOWN_HOLDER: LockBody = {pid: 0, started: 'unknown'};

/** An unreadable lock younger than this may be one another process is writing right now. */
const WRITING_GRACE_MS = 10_000;

async function isFresh(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  return info !== null && Date.now() - info.mtimeMs < WRITING_GRACE_MS;
}

async function readHolder(path: string): Promise<LockBody | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockBody>;
    return Number.isInteger(parsed.pid) && (parsed.pid ?? 0) > 0
      ? {
          pid: parsed.pid as number,
          started: String(parsed.started ?? 'unknown'),
          ...(typeof parsed.command === 'string' ? {command: parsed.command} : {}),
        }
      : null;
  } catch {
    // Vanished, being written, or left half-written by a process that died: isFresh tells the last two apart.
    return null;
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
