/**
 * Temp files, one naming for every writer: `.tmp-<name>-<pid>-<tag>` beside the file (or folder) being made.
 * This process tracks the ones it is writing, so that a forced quit (a second Ctrl+C) removes them on its way
 * out; a writer killed outright (SIGKILL, power loss) leaves its own, and the next run into that folder removes
 * every one whose process is gone. Commits (a group of renames that must not stop halfway) are counted, so that a
 * forced quit can let a running one finish.
 */
import {randomBytes} from 'node:crypto';
import {rmSync} from 'node:fs';
import {readdir, rm} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import {isProcessAlive} from './pid-lock.js';

const inProgress = new Set<string>();

/**
 * A counter from a random start: unique within the process, and unlikely to meet another host's on a shared
 * folder. A fresh randomBytes(4) per file cost ~34 µs of the main thread, 2% of the downloader's per-image time
 * over raw loopback (CPU profile, 1,000 images).
 */
let tempCounter = randomBytes(4).readUInt32BE(0);

/** Where a writer stages `path` (a new name on every call). */
export function tempPathFor(path: string): string {
  tempCounter = (tempCounter + 1) >>> 0;
  const suffix = `${process.pid}-${tempCounter.toString(16).padStart(8, '0')}`;
  return join(dirname(path), `.tmp-${basename(path)}-${suffix}`);
}

/** Any writer's temp name; the pid is the second-to-last part (names may hold dashes and digits themselves). */
const TEMP_NAME = /^\.tmp-.+-(\d+)-[0-9a-z]+$/;
/** Earlier versions' index writer named its temp file without a tag (`.tmp-image_embeddings.hnsw-<pid>`). */
const UNTAGGED_TEMP_NAME = /^\.tmp-[^-]+-(\d+)$/;

/** The pid in a temp name, or undefined for a name that is not one. */
export function tempFileOwner(name: string): number | undefined {
  const pid = (TEMP_NAME.exec(name) ?? UNTAGGED_TEMP_NAME.exec(name))?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/**
 * Removes the temp files and folders in `directory` left by processes that no longer run (a missing folder has
 * none); returns their names. Live writers' ones, this process's included, are kept.
 */
export async function removeStaleTempFiles(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempFileOwner(name);
    if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
    await rm(join(directory, name), {recursive: true, force: true});
    removed.push(name);
  }
  return removed;
}

export function trackTempFile(path: string): void {
  inProgress.add(path);
}

export function untrackTempFile(path: string): void {
  inProgress.delete(path);
}

/** Synchronous, because it runs on the way out of a forced quit, after which no callback runs. */
export function removeTrackedTempFiles(): void {
  for (const path of inProgress) {
    try {
      // Recursive: a shard or merged view is staged as a whole temp folder.
      rmSync(path, {recursive: true, force: true});
    } catch {
      // The platform refuses to remove an open file: the next run into the folder cleans it up.
    }
  }
  inProgress.clear();
}

let openCommits = 0;
const commitWaiters: (() => void)[] = [];

/**
 * Runs `commit`, a group of renames that only makes sense whole (a set of output files), as one step that a
 * forced quit waits for instead of cutting it in two.
 */
export async function asCommit<T>(commit: () => Promise<T>): Promise<T> {
  openCommits++;
  try {
    return await commit();
  } finally {
    openCommits--;
    if (openCommits === 0) for (const wake of commitWaiters.splice(0)) wake();
  }
}

export function commitInProgress(): boolean {
  return openCommits > 0;
}

/** Resolves once no commit runs. */
export function commitsSettled(): Promise<void> {
  if (openCommits === 0) return Promise.resolve();
  return new Promise((resolve) => {
    commitWaiters.push(resolve);
  });
}
