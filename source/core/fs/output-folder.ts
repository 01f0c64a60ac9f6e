/**
 * Output-folder problems are the user's to fix (a path through a file, no permission, a full or read-only
 * disk): they are checked before any work starts, and write failures met later are reported the same way.
 */
import {constants} from 'node:fs';
import {access, stat} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';
import {UserError} from '../errors.js';

// The message names the folder; the core does not know which option of which command chose it.
export const OUTPUT_FOLDER_HINT = 'pass a writable output folder, or fix its permissions';

/** Fails when `folder` could not be created or written; creates nothing. */
export async function checkOutputFolder(
  folder: string,
  naming: {label: string; hint: string} = {label: 'output folder', hint: OUTPUT_FOLDER_HINT},
): Promise<void> {
  let path = resolve(folder);
  for (;;) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw error;
    });
    if (info === null) {
      const parent = dirname(path);
      if (parent === path) return;
      path = parent;
      continue;
    }
    if (!info.isDirectory())
      throw new UserError(`the ${naming.label} ${folder} cannot be made: ${path} is a file`, naming.hint);
    await access(path, constants.W_OK).catch(() => {
      throw new UserError(
        `the ${naming.label} ${folder} is not writable (no permission on ${path})`,
        naming.hint,
      );
    });
    return;
  }
}

const USER_FIXABLE_CODES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file',
};

/**
 * The error as a UserError when it is a write failure the user can fix (embed's outputs, download's images);
 * otherwise unchanged (a bug).
 */
export function asOutputWriteError(error: unknown, folder: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : USER_FIXABLE_CODES[code];
  if (reason === undefined) return error;
  return new UserError(
    `cannot write the outputs in ${folder}: ${reason} (${code}); earlier outputs there are unchanged`,
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'free some space, or pass another output folder'
      : OUTPUT_FOLDER_HINT,
  );
}
