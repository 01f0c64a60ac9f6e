/**
 * Finds the images under a folder: recursive, in a stable order (sorted by relative path, code-unit order, so
 * the same tree gives the same rows on every machine and locale).
 * Every regular file is tried, whatever its name: content decides what is an image, and a file that does not
 * decode is reported as a failure. What the walk can tell without opening a file is skipped, with its reason, and
 * counted: files that are plainly not images by extension (text, JSON, our .npy outputs, videos…), names that are
 * not valid UTF-8 (they could not be named in the outputs), broken symlinks and symlink loops, and entries that
 * are not files (named pipes, sockets, devices: opening a pipe would block). Hidden entries and our own temp
 * files are ignored.
 */
import type {Dirent, Stats} from 'node:fs';
import {readdir, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';

export const SKIPPED_EXTENSIONS: ReadonlySet<string> = new Set([
  ...['txt', 'md', 'json', 'jsonl', 'ndjson', 'csv', 'tsv', 'yaml', 'yml', 'xml', 'html', 'htm', 'log'],
  ...['npy', 'npz', 'sqlite', 'sqlite-wal', 'sqlite-shm', 'db', 'part', 'tmp', 'py', 'js', 'ts', 'sh'],
  // Videos, sound, documents and archives: often beside photos, and often large.
  ...['mp4', 'm4v', 'mov', 'avi', 'mkv', 'webm', 'wmv', 'flv', 'mpg', 'mpeg', 'mts', 'm2ts', '3gp'],
  ...['mp3', 'm4a', 'aac', 'wav', 'flac', 'ogg', 'opus', 'pdf', 'zip', 'gz', 'tgz', 'tar', '7z', 'rar'],
]);

export interface FoundFile {
  /** Relative to the input folder, '/'-separated. */
  relative: string;
  absolute: string;
}

export interface SkippedFile {
  /** Relative to the input folder, '/'-separated (a name that is not UTF-8 shows U+FFFD for its bad bytes). */
  file: string;
  reason: string;
}

export interface WalkResult {
  files: FoundFile[];
  /** Entries not tried, each with why. */
  skipped: SkippedFile[];
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~');
}

/** Why an entry that is neither a file nor a folder is not read. */
function notAFile(info: Pick<Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (info.isFIFO()) return 'a named pipe (FIFO), not a file';
  if (info.isSocket()) return 'a socket, not a file';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device, not a file';
  return 'not a regular file';
}

/** A symlink's target, or why it is skipped (its target is stat'ed, never opened). */
async function followLink(absolute: string): Promise<{file: true} | {reason: string}> {
  let target: Stats;
  try {
    target = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return {reason: 'broken symlink (its target does not exist)'};
    if (code === 'ELOOP') return {reason: 'symlink loop'};
    return {reason: `symlink whose target cannot be read (${code ?? (error as Error).message})`};
  }
  if (target.isFile()) return {file: true};
  // Symlinked folders are not followed (no cycles, no walking out of the input folder).
  if (target.isDirectory()) return {reason: 'symlink to a folder (not followed)'};
  return {reason: `symlink to ${notAFile(target)}`};
}

export async function walkImageFiles(root: string): Promise<WalkResult> {
  try {
    if (!(await stat(root)).isDirectory())
      throw new UserError(`input ${root} is not a folder`, 'pass --input DIR');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `input folder ${root} does not exist`,
      "pass --input DIR, or fetch images first with 'visual-cortex download'",
    );
  }
  const files: FoundFile[] = [];
  const skipped: SkippedFile[] = [];
  const visit = async (directory: string, prefix: string): Promise<void> => {
    let entries: Dirent<Buffer>[];
    try {
      // Raw names: one that is not UTF-8 would come back mangled and then fail to open as ENOENT.
      entries = await readdir(directory, {withFileTypes: true, encoding: 'buffer'});
    } catch (error) {
      throw new UserError(
        `cannot read folder ${directory}: ${(error as Error).message}`,
        'check its permissions',
      );
    }
    for (const entry of entries) {
      const name = entry.name.toString('utf8');
      if (isIgnored(name)) continue;
      const relative = prefix ? `${prefix}/${name}` : name;
      if (!Buffer.from(name, 'utf8').equals(entry.name)) {
        const reason = entry.isDirectory()
          ? 'folder name is not valid UTF-8 (rename it; its files were not read)'
          : 'file name is not valid UTF-8 (rename it)';
        skipped.push({file: relative, reason});
        continue;
      }
      const absolute = join(directory, name);
      if (entry.isDirectory()) {
        await visit(absolute, relative);
        continue;
      }
      const link = entry.isSymbolicLink() ? await followLink(absolute) : undefined;
      if (link && 'reason' in link) skipped.push({file: relative, reason: link.reason});
      else if (!link && !entry.isFile()) skipped.push({file: relative, reason: notAFile(entry)});
      else if (SKIPPED_EXTENSIONS.has(extensionOf(name)))
        skipped.push({file: relative, reason: `not an image (.${extensionOf(name)} file)`});
      else files.push({relative, absolute});
    }
  };
  await visit(root, '');
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  files.sort((a, b) => byPath(a.relative, b.relative));
  skipped.sort((a, b) => byPath(a.file, b.file));
  return {files, skipped};
}
