/**
 * `<model dir>/.visual-cortex-manifest.json` records what `models pull` installed: where each file came from,
 * its size and SHA-256, and what that checksum was checked against. `models verify` re-hashes against it.
 */
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {readFile, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {writeFileAtomic} from '../fs/atomic-write.js';
import type {ChecksumAlgorithm} from './hub.js';
import type {Dtype} from './model-folder.js';

export const MANIFEST_FILE = '.visual-cortex-manifest.json';
const FORMAT = 1;

/** 'hub-sha256': matched the Hub's X-Linked-Etag; 'hub-git-sha1': matched its git blob ETag; 'none': no checksum given. */
export type ChecksumSource = 'hub-sha256' | 'hub-git-sha1' | 'none';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  checkedAgainst: ChecksumSource;
  /** The Hub URL it was requested from (never the signed CDN URL, never a token). */
  sourceUrl: string;
  downloadedAt: string;
}

export interface ModelManifest {
  format: number;
  name: string;
  repo: string;
  /** The revision the user asked for (branch, tag or commit). */
  revision: string;
  /** The commit the Hub resolved it to, when it said (X-Repo-Commit). */
  commit: string | null;
  endpoint: string;
  dtypes: Dtype[];
  files: ManifestFile[];
  /** Optional files the repo does not have. */
  absentOptional: string[];
  installedAt: string;
  lastVerify?: {at: string; ok: boolean; bad: string[]};
}

export function manifestPath(modelDir: string): string {
  return join(modelDir, MANIFEST_FILE);
}

export function newManifest(fields: Omit<ModelManifest, 'format'>): ModelManifest {
  return {format: FORMAT, ...fields};
}

/** The manifest, or null when the folder has none; an unreadable one reads as null too (it is re-created by pull). */
export async function readManifest(modelDir: string): Promise<ModelManifest | null> {
  let text: string;
  try {
    text = await readFile(manifestPath(modelDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as ModelManifest;
    if (parsed.format !== FORMAT || !Array.isArray(parsed.files) || typeof parsed.repo !== 'string')
      return null;
    return {...parsed, absentOptional: parsed.absentOptional ?? []};
  } catch {
    return null;
  }
}

export async function writeManifest(modelDir: string, manifest: ModelManifest): Promise<void> {
  await writeFileAtomic(manifestPath(modelDir), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface FileDigest {
  size: number;
  sha256: string;
  /** Git's blob id (sha1 of "blob <size>\0" + bytes): what the Hub's ETag is for files outside LFS. */
  gitSha1: string;
}

/** Hashes a file in one streaming pass; memory stays at one read buffer whatever the file's size. */
export async function digestFile(path: string, signal?: AbortSignal): Promise<FileDigest> {
  // Git's header needs the size first; the file is ours and not growing, so stat gives it.
  const expectedSize = (await stat(path)).size;
  const sha256 = createHash('sha256');
  const gitSha1 = createHash('sha1').update(`blob ${expectedSize}\0`);
  let size = 0;
  for await (const chunk of createReadStream(path, {signal, highWaterMark: 1 << 20})) {
    const buffer = chunk as Buffer;
    sha256.update(buffer);
    gitSha1.update(buffer);
    size += buffer.length;
  }
  if (size !== expectedSize) throw new Error(`${path} changed size while it was hashed`);
  return {size, sha256: sha256.digest('hex'), gitSha1: gitSha1.digest('hex')};
}

export function matchesChecksum(
  digest: FileDigest,
  expected: {algorithm: ChecksumAlgorithm; value: string},
): boolean {
  return expected.algorithm === 'sha256'
    ? digest.sha256 === expected.value
    : digest.gitSha1 === expected.value;
}
