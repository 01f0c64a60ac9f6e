/**
 * Finds the images under a folder: recursive, in a stable order (sorted by relative path, code-unit order, so
 * the same tree gives the same rows on every machine and locale).
 * Every regular file is tried, whatever its name: content decides what is an image, and a file that does not
 * decode is reported as a failure. Only hidden entries, our own temp files and files that are plainly not images
 * by extension (text, JSON, our .npy outputs, caches…) are skipped, and they are counted.
 */
import type {Dirent} from 'node:fs';
import {readdir, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';

export const SKIPPED_EXTENSIONS: ReadonlySet<string> = new Set([
  'txt',
  'md',
  'json',
  'jsonl',
  'ndjson',
  'csv',
  'tsv',
  'yaml',
  'yml',
  'xml',
  'html',
  'htm',
  'log',
  'npy',
  'npz',
  'sqlite',
  'sqlite-wal',
  'sqlite-shm',
  'db',
  'part',
  'tmp',
  'py',
  'js',
  'ts',
  'sh',
]);

export interface FoundFile {
  /** Relative to the input folder, '/'-separated. */
  relative: string;
  absolute: string;
}

export interface WalkResult {
  files: FoundFile[];
  /** Relative paths skipped as plainly not images. */
  skipped: string[];
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~');
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
  const skipped: string[] = [];
  const visit = async (directory: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, {withFileTypes: true});
    } catch (error) {
      throw new UserError(
        `cannot read folder ${directory}: ${(error as Error).message}`,
        'check its permissions',
      );
    }
    for (const entry of entries) {
      if (isIgnored(entry.name)) continue;
      const absolute = join(directory, entry.name);
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      let isFile = entry.isFile();
      // Symlinked files are followed; symlinked folders are not (no cycles).
      if (entry.isSymbolicLink())
        isFile = await stat(absolute).then(
          (info) => info.isFile(),
          () => false,
        );
      if (entry.isDirectory()) await visit(absolute, relative);
      else if (!isFile) continue;
      else if (SKIPPED_EXTENSIONS.has(extensionOf(entry.name))) skipped.push(relative);
      else files.push({relative, absolute});
    }
  };
  await visit(root, '');
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  files.sort((a, b) => byPath(a.relative, b.relative));
  skipped.sort(byPath);
  return {files, skipped};
}
