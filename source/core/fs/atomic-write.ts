import {mkdir, open, rename, rm} from 'node:fs/promises';
import {dirname} from 'node:path';
import {tempPathFor, trackTempFile, untrackTempFile} from './temp-files.js';

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /**
   * fsync the directory after the rename (default true). A caller that commits many files at once (the image
   * store) turns it off and syncs the directory once per group: until then a crash may lose the new name, but
   * never exposes a partial file under it.
   */
  syncDirectory?: boolean;
  /** Create the directory first (default true); off when the caller knows it exists. */
  createDirectory?: boolean;
}

/** Where writeFileAtomic stages `path` (a new name on every call); exported so tests make realistic leftovers. */
export const atomicTempPath = tempPathFor;

/**
 * Writes a file so that readers (and crashes) only ever see the old complete file or the new complete one:
 * data goes to a temp file in the same directory, is fsynced, then renamed over the target.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const directory = dirname(path);
  if (options.createDirectory !== false) await mkdir(directory, {recursive: true});
  const temp = atomicTempPath(path);
  trackTempFile(temp);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, {force: true});
    throw error;
  } finally {
    untrackTempFile(temp);
  }
  if (options.syncDirectory !== false) await syncDirectory(directory);
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}
