/**
 * Adoption at open of images in the output folder that have no index line: those renamed into place just before
 * a crash (their group commit never ran) and those put there by hand. Adopting them is what lets the store
 * commit behind the workers without losing a kept image, and keeps a re-run from downloading them again.
 */
import {readFile} from 'node:fs/promises';
import {extname, join} from 'node:path';
import {probeImageHeader} from '../image/decode-image.js';
import {type IndexEntry, sha256Hex} from './download-index.js';
import {IMAGE_EXTENSIONS, sniffImageType} from './sniff.js';

/**
 * Entries for the folder's images (`names`, sorted here in place) that `indexed` lacks, skipping any whose bytes
 * an indexed or earlier adopted image already has.
 */
export async function adoptUnindexedImages(
  directory: string,
  names: string[],
  indexed: readonly IndexEntry[],
  pixelLimit: number,
): Promise<IndexEntry[]> {
  const indexedNames = new Set(indexed.map((entry) => entry.name));
  const hashes = new Set(indexed.map((entry) => entry.sha256));
  const adopted: IndexEntry[] = [];
  for (const name of names.sort()) {
    if (
      indexedNames.has(name) ||
      name.startsWith('.') ||
      !IMAGE_EXTENSIONS.has(extname(name).slice(1).toLowerCase())
    ) {
      continue;
    }
    const entry = await adoptFile(directory, name, pixelLimit);
    if (entry && !hashes.has(entry.sha256)) {
      hashes.add(entry.sha256);
      adopted.push(entry);
    }
  }
  return adopted;
}

/** An image found in the folder without an index line (saved just before a crash, or put there by hand). */
async function adoptFile(directory: string, name: string, pixelLimit: number): Promise<IndexEntry | null> {
  try {
    const bytes = await readFile(join(directory, name));
    if (sniffImageType(bytes) === null) return null;
    const probe = await probeImageHeader(bytes, pixelLimit);
    return {
      name,
      sha256: sha256Hex(bytes),
      url: null,
      provider: 'existing',
      width: probe.width,
      height: probe.height,
      bytes: bytes.length,
      time: new Date().toISOString(),
    };
  } catch {
    return null;
  }
}
