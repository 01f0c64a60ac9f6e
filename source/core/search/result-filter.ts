/**
 * Cut-offs applied to a search: a minimum score and a subfolder of the images folder. `under` is matched against
 * the stored names (relative to the images folder) as text; nothing is opened, so a filter never reads a file.
 */
import {isAbsolute, posix, relative, resolve, sep} from 'node:path';
import {UserError} from '../errors.js';

export interface SearchFilters {
  /** Results scoring below this cosine are dropped (−1 to 1). */
  minScore?: number;
  /** Only rows whose file lies in this subfolder of the images folder (relative to it, or absolute inside it). */
  under?: string;
}

const UNDER_HINT = 'give a subfolder of the images folder, like --under holidays/2024';

/** Checks a cut-off: a finite number from −1 to 1 (scores are cosines). */
export function checkMinScore(value: number, name = '--min-score'): number {
  if (!Number.isFinite(value) || value < -1 || value > 1)
    throw new UserError(
      `${name} must be a number from -1 to 1 (scores are cosines), got ${value}`,
      `use ${name} 0.25`,
    );
  return value;
}

/**
 * The `/`-separated prefix (ending in `/`) that names of files under `under` start with, or undefined for the
 * whole folder. Refuses anything that leaves the images folder. `imagesDir` resolves an absolute `under`.
 */
export function underPrefix(
  under: string,
  imagesDir: string | undefined,
  name = '--under',
): string | undefined {
  if (under.includes('\0')) throw new UserError(`${name} has a NUL character in it`, UNDER_HINT);
  let inside: string;
  if (isAbsolute(under)) {
    if (imagesDir === undefined)
      throw new UserError(
        `${name} ${under} is absolute, but the embeddings record no images folder to compare it with`,
        'give the subfolder relative to the images folder, or pass --images DIR',
      );
    inside = relative(resolve(imagesDir), resolve(under)).split(sep).join('/');
  } else {
    inside = posix.normalize(under.split(sep).join('/'));
  }
  inside = inside.replace(/\/+$/, '');
  if (inside === '..' || inside.startsWith('../') || isAbsolute(inside))
    throw new UserError(`${name} ${under} is outside the images folder`, UNDER_HINT);
  return inside === '' || inside === '.' ? undefined : `${inside}/`;
}

/** A row predicate for `under`, or undefined when every row is in. */
export function underFilter(
  files: readonly string[],
  under: string | undefined,
  imagesDir: string | undefined,
  name?: string,
): ((row: number) => boolean) | undefined {
  if (under === undefined) return undefined;
  const prefix = underPrefix(under, imagesDir, name);
  if (prefix === undefined) return undefined;
  return (row) => {
    const file = files[row];
    return file !== undefined && posix.normalize(file.split(sep).join('/')).startsWith(prefix);
  };
}
