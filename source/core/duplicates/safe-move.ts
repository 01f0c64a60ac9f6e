/**
 * Moving one file without ever overwriting another, durably, on one file system or across two. On one, a hard
 * link to the new name (which fails if the name exists, unlike rename) then unlinking the old name; across file
 * systems (EXDEV), a copy beside the target under a fixed partial name, fsynced, linked to its name, then the
 * source unlinked. A crash leaves the source in place, or both names (same inode, or an identical copy), or the
 * target alone: move-run.ts's undo tells these apart.
 */
import {constants} from 'node:fs';
import {copyFile, link, open, rename, rm, stat, unlink, utimes} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import {syncDirectory} from '../fs/atomic-write.js';

export class TargetExistsError extends Error {
  override readonly name = 'TargetExistsError';
  constructor(readonly path: string) {
    super(`${path} already exists`);
  }
}

/** Where a cross-device copy is staged: a fixed name, so that undo can find the remains of an interrupted one. */
export const partialPath = (to: string) => join(dirname(to), `.${basename(to)}.partial-move`);

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;
/** File systems without hard links (FAT, exFAT, some network shares) answer these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error) => {
      if (code(error) === 'ENOENT') return false;
      throw error;
    },
  );
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Copies `from` to `to` on another file system (keeping its times); `to` must not exist. */
export async function copyAcross(from: string, to: string): Promise<void> {
  const partial = partialPath(to);
  await rm(partial, {force: true}); // a previous attempt's remains: the name is ours
  await copyFile(from, partial, constants.COPYFILE_EXCL);
  try {
    const source = await stat(from);
    await utimes(partial, source.atimeMs / 1000, source.mtimeMs / 1000);
    await syncFile(partial);
    await link(partial, to).catch((error) => {
      throw code(error) === 'EEXIST' ? new TargetExistsError(to) : error;
    });
  } finally {
    await rm(partial, {force: true});
  }
  await syncDirectory(dirname(to));
}

/** Moves a regular file; rejects with TargetExistsError when `to` exists. Resolves how it moved. */
export async function moveFile(from: string, to: string): Promise<'link' | 'copy' | 'rename'> {
  let how: 'link' | 'copy' | 'rename' = 'link';
  try {
    await link(from, to);
  } catch (error) {
    if (code(error) === 'EEXIST') throw new TargetExistsError(to);
    if (code(error) === 'EXDEV') {
      await copyAcross(from, to);
      how = 'copy';
    } else if (NO_LINKS.has(code(error) ?? '')) {
      // No hard links here: check, then rename. Another writer could slip in between; nothing better exists
      // portably (Node has no renameat2 RENAME_NOREPLACE).
      if (await exists(to)) throw new TargetExistsError(to);
      await rename(from, to);
      how = 'rename';
    } else throw error;
  }
  if (how !== 'rename') await unlink(from);
  await syncDirectory(dirname(to));
  await syncDirectory(dirname(from));
  return how;
}
