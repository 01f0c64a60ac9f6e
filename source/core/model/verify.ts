/**
 * `models verify`: re-hashes every file the manifest lists and compares size and SHA-256. A file that does not
 * match is renamed to `<file>.corrupt` so no command loads it again (`models pull` then fetches a good copy).
 */
import {rename, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {digestFile, readManifest, writeManifest} from './manifest.js';
import {installedName} from './registry.js';

export type VerifyFileStatus = 'ok' | 'missing' | 'size-mismatch' | 'checksum-mismatch';

export interface VerifyFileResult {
  path: string;
  status: VerifyFileStatus;
  expectedSize: number;
  actualSize: number | null;
  expectedSha256: string;
  actualSha256: string | null;
  /** Where a damaged file was moved, so it is never used. */
  quarantinedAs: string | null;
}

export type VerifyEvent =
  | {type: 'verify-start'; name: string; dir: string; files: number; totalBytes: number}
  | {type: 'verify-file'; result: VerifyFileResult};

export interface VerifyResult {
  name: string;
  dir: string;
  ok: boolean;
  files: VerifyFileResult[];
}

export interface VerifyOptions {
  modelsDir: string;
  model: string;
  signal?: AbortSignal;
  onEvent?: (event: VerifyEvent) => void;
}

/** The folder a model name refers to: registry names and Hub ids as `models pull` installs them. */
export function installedModelDir(modelsDir: string, model: string): {name: string; dir: string} {
  const name = installedName(model);
  return {name, dir: join(modelsDir, name)};
}

export async function verifyModel(options: VerifyOptions): Promise<VerifyResult> {
  const {name, dir} = installedModelDir(options.modelsDir, options.model);
  const manifest = await readManifest(dir);
  if (!manifest) {
    const exists = await stat(dir).then(
      () => true,
      () => false,
    );
    throw new UserError(
      exists
        ? `model '${name}' in ${dir} has no manifest (it was not installed by 'models pull'), so there are no checksums to compare with`
        : `model '${name}' is not installed (no folder ${dir})`,
      `run 'visual-cortex models pull ${name}' to install a verified copy`,
    );
  }
  options.onEvent?.({
    type: 'verify-start',
    name,
    dir,
    files: manifest.files.length,
    totalBytes: manifest.files.reduce((sum, file) => sum + file.size, 0),
  });
  const results: VerifyFileResult[] = [];
  for (const file of manifest.files) {
    options.signal?.throwIfAborted();
    const path = join(dir, file.path);
    const result: VerifyFileResult = {
      path: file.path,
      status: 'ok',
      expectedSize: file.size,
      actualSize: null,
      expectedSha256: file.sha256,
      actualSha256: null,
      quarantinedAs: null,
    };
    const size = await stat(path).then(
      (stats) => (stats.isFile() ? stats.size : null),
      () => null,
    );
    result.actualSize = size;
    if (size === null) result.status = 'missing';
    else {
      const digest = await digestFile(path, options.signal);
      result.actualSha256 = digest.sha256;
      if (size !== file.size) result.status = 'size-mismatch';
      else if (digest.sha256 !== file.sha256) result.status = 'checksum-mismatch';
    }
    if (result.status === 'size-mismatch' || result.status === 'checksum-mismatch') {
      result.quarantinedAs = `${file.path}.corrupt`;
      await rename(path, join(dir, result.quarantinedAs));
    }
    results.push(result);
    options.onEvent?.({type: 'verify-file', result});
  }
  const bad = results.filter((result) => result.status !== 'ok').map((result) => result.path);
  await writeManifest(dir, {
    ...manifest,
    lastVerify: {at: new Date().toISOString(), ok: bad.length === 0, bad},
  });
  return {name, dir, ok: bad.length === 0, files: results};
}
