/**
 * The size and SHA-256 a writer records for each file it commits (metadata.json's `files`), and the comparison
 * readers make with the bytes they read: a file that differs was changed after the run, or comes from another
 * run (a mixed set), and its rows cannot be trusted to match the other files.
 */
import {createHash} from 'node:crypto';

export interface FileFingerprint {
  bytes: number;
  sha256: string;
}

export function fingerprintBytes(data: Uint8Array): FileFingerprint {
  return {bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex')};
}

export interface ChangedFile {
  name: string;
  recorded: FileFingerprint;
  actual: FileFingerprint;
}

function isFingerprint(value: unknown): value is FileFingerprint {
  if (typeof value !== 'object' || value === null) return false;
  const {bytes, sha256} = value as Record<string, unknown>;
  return typeof sha256 === 'string' && (bytes === undefined || typeof bytes === 'number');
}

/**
 * The files among `actual` whose bytes differ from what `recorded` (metadata.json's `files`) says. A file it
 * records nothing for is not judged: outputs of versions before the fingerprints have none.
 */
export function changedFiles(recorded: unknown, actual: Record<string, Uint8Array>): ChangedFile[] {
  if (typeof recorded !== 'object' || recorded === null) return [];
  const changed: ChangedFile[] = [];
  for (const [name, data] of Object.entries(actual)) {
    const expected = (recorded as Record<string, unknown>)[name];
    if (!isFingerprint(expected)) continue;
    const found = fingerprintBytes(data);
    if (found.sha256 !== expected.sha256) changed.push({name, recorded: expected, actual: found});
  }
  return changed;
}

/** "image_embeddings.npy (1,024 bytes, sha256 ab12… ; metadata.json records 2,048 bytes, cd34…)". */
export function describeChangedFile(file: ChangedFile): string {
  const short = (sha: string) => `${sha.slice(0, 12)}…`;
  const size = (bytes: number | undefined) =>
    bytes === undefined ? '' : `${bytes.toLocaleString('en')} bytes, `;
  return `${file.name} (${size(file.actual.bytes)}sha256 ${short(file.actual.sha256)}; metadata.json records ${size(file.recorded.bytes)}${short(file.recorded.sha256)})`;
}
