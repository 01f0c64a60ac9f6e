/**
 * The download index: the JSON-lines file beside the kept images that records each one's origin and hash, and
 * reading it back at open. It has its own module so the trust rules for a line written before a crash (torn,
 * unparsable, duplicated, or naming a file that is gone or a different size) live in one place, apart from the
 * store that appends to it.
 */
import {createHash} from 'node:crypto';
import {readFile, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {writeFileAtomic} from '../fs/atomic-write.js';

export const DOWNLOAD_INDEX_FILE = '.download-index.jsonl';

export interface IndexEntry {
  name: string;
  sha256: string;
  /** null for images adopted from the folder without a known origin. */
  url: string | null;
  provider: string;
  width: number;
  height: number;
  bytes: number;
  /** ISO 8601 time the image was saved. */
  time: string;
}

/** The content hash an entry records, which the store de-duplicates by. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The index text for these entries: one JSON line each, every line ending in a newline. */
export function indexLines(entries: readonly IndexEntry[]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
}

/** The trusted entries of the folder's index; when any line was dropped, the index is rewritten without it. */
export async function loadIndex(directory: string): Promise<IndexEntry[]> {
  const indexPath = join(directory, DOWNLOAD_INDEX_FILE);
  const {entries, needsRewrite} = await readIndex(directory, indexPath);
  if (needsRewrite) {
    await writeFileAtomic(indexPath, indexLines(entries));
  }
  return entries;
}

async function readIndex(
  directory: string,
  indexPath: string,
): Promise<{entries: IndexEntry[]; needsRewrite: boolean}> {
  const text = await readFile(indexPath, 'utf8').catch(() => '');
  const lines = text.split('\n');
  // A crash mid-append leaves a last line without its newline: that line is not trusted.
  let needsRewrite = lines.pop() !== '';
  const entries: IndexEntry[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const entry = parseEntry(line);
    const size = entry
      ? await stat(join(directory, entry.name)).then(
          (info) => info.size,
          () => -1,
        )
      : -1;
    if (!entry || size !== entry.bytes || seen.has(entry.name)) {
      needsRewrite = true;
      continue;
    }
    seen.add(entry.name);
    entries.push(entry);
  }
  return {entries, needsRewrite};
}

function parseEntry(line: string): IndexEntry | null {
  try {
    const value = JSON.parse(line) as Partial<IndexEntry>;
    if (
      typeof value.name !== 'string' ||
      typeof value.sha256 !== 'string' ||
      typeof value.bytes !== 'number'
    ) {
      return null;
    }
    if (value.name.includes('/') || value.name.includes('\\') || value.name.startsWith('.')) return null;
    return value as IndexEntry;
  } catch {
    return null;
  }
}
