/** Test helper: proves a download folder holds only complete, valid, indexed images. */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {DOWNLOAD_INDEX_FILE, type IndexEntry} from '../../source/core/download/download-index.js';
import {probeImage} from '../../source/core/image/sharp-image.js';

export async function readIndex(dir: string): Promise<IndexEntry[]> {
  const text = await readFile(join(dir, DOWNLOAD_INDEX_FILE), 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'index ends with a complete line');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as IndexEntry);
}

/** Every file is indexed, decodes, and matches its index line's sha256 and size; no temp files; no duplicates. */
export async function checkFolder(dir: string): Promise<IndexEntry[]> {
  const entries = await readIndex(dir);
  const names = (await readdir(dir)).filter((name) => name !== DOWNLOAD_INDEX_FILE).sort();
  assert.deepEqual(
    names,
    entries.map((entry) => entry.name).sort(),
    'the folder holds exactly the indexed images',
  );
  assert.equal(
    new Set(entries.map((entry) => entry.sha256)).size,
    entries.length,
    'no two kept images are equal',
  );
  for (const entry of entries) {
    if (entry.provider !== 'existing') assert.match(entry.name, /^img_\d{6}\.(jpg|png|webp|gif)$/);
    const bytes = await readFile(join(dir, entry.name));
    assert.equal(bytes.length, entry.bytes, `${entry.name} size`);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, `${entry.name} sha256`);
    const probe = await probeImage(bytes);
    assert.deepEqual([probe.width, probe.height], [entry.width, entry.height], `${entry.name} dimensions`);
  }
  return entries;
}

/** A clock whose sleeps return at once and are recorded; jitter fixed at its middle. */
export function fastClock() {
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    },
  };
}
