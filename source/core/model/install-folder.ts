/**
 * Moving a pulled model into place: only whole, verified sets of files ever appear under the models directory.
 */
import {randomBytes} from 'node:crypto';
import {mkdir, readdir, rename, rm, stat} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {syncDirectory} from '../fs/atomic-write.js';
import type {ManifestFile} from './manifest.js';

/** Files of a manifest still on disk with their recorded size (a full re-hash is `verify`'s job). */
export async function intactFiles(
  dir: string,
  files: readonly ManifestFile[],
): Promise<Map<string, ManifestFile>> {
  const intact = new Map<string, ManifestFile>();
  for (const file of files) {
    const size = await stat(join(dir, file.path)).then(
      (stats) => (stats.isFile() ? stats.size : -1),
      () => -1,
    );
    if (size === file.size) intact.set(file.path, file);
  }
  return intact;
}

/** Puts a complete staging folder in place of `dir`; an older install is moved aside first, then deleted. */
export async function swapInto(stagingDir: string, dir: string, modelsDir: string): Promise<void> {
  await removeParts(stagingDir);
  await mkdir(dirname(dir), {recursive: true});
  const trash = join(modelsDir, `.trash-${randomBytes(6).toString('hex')}`);
  const hadOld = await pathExists(dir);
  if (hadOld) await rename(dir, trash);
  try {
    await rename(stagingDir, dir);
  } catch (error) {
    if (hadOld) await rename(trash, dir);
    throw error;
  }
  await syncDirectory(dirname(dir));
  if (hadOld) await rm(trash, {recursive: true, force: true});
}

/** Leftover parts of files another run wanted must not travel into the model folder. */
async function removeParts(stagingDir: string): Promise<void> {
  const entries = await readdir(stagingDir, {recursive: true});
  for (const entry of entries) {
    if (entry.endsWith('.part') || entry.endsWith('.part.json'))
      await rm(join(stagingDir, entry), {force: true});
  }
}

export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A staging folder that never received a byte is not an interrupted pull worth listing. */
export async function removeIfEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir, {withFileTypes: true, recursive: true}).catch(() => []);
  if (!entries.some((entry) => entry.isFile())) await rm(dir, {recursive: true, force: true});
}
