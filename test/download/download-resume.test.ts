import assert from 'node:assert/strict';
import {copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {downloadImages} from '../../source/core/download/download-images.js';
import {DOWNLOAD_INDEX_FILE, sha256Hex} from '../../source/core/download/download-index.js';
import {ImageStore} from '../../source/core/download/image-store.js';
import {atomicTempPath} from '../../source/core/fs/atomic-write.js';
import {probeImage} from '../../source/core/image/sharp-image.js';
import {FIXTURE_IMAGES_DIR, type ImageServer, startImageServer} from '../helpers/image-server.js';
import {checkFolder, readIndex} from './check-folder.js';

let server: ImageServer;
let work: string;
before(async () => {
  // Every fourth image answers slowly, so an abort always finds requests in flight.
  server = await startImageServer({
    count: 12,
    plan: ({path}) => (/\/image\/\d*[37]\.jpg$/.test(path) ? 'slow-headers:400' : undefined),
  });
  work = await mkdtemp(join(tmpdir(), 'vc-resume-'));
});
after(async () => {
  await server.close();
  await rm(work, {recursive: true, force: true});
});

test('an aborted run leaves only complete images; the next run reaches the total without refetching them', async () => {
  const imagesDir = join(work, 'resume');
  const controller = new AbortController();
  const template = `${server.origin}/image/{index}.jpg`;
  let keptEvents = 0;
  const first = await downloadImages({
    provider: 'custom',
    urlTemplate: template,
    count: 10,
    workers: 3,
    imagesDir,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'kept' && ++keptEvents === 3) controller.abort();
    },
  });
  assert.equal(first.interrupted, true);
  assert.equal(first.stopReason, 'aborted');
  assert.ok(first.kept >= 3 && first.kept < 10, `kept ${first.kept}`);
  assert.deepEqual(first.files.length, first.kept);
  const settled = first.kept + first.failed + first.duplicates + first.retries;
  assert.ok(first.attempts > settled, 'the abort cut requests in flight');
  const firstEntries = await checkFolder(imagesDir);
  assert.equal(firstEntries.length, first.kept);

  const second = await downloadImages({
    provider: 'custom',
    urlTemplate: template,
    count: 10,
    workers: 3,
    imagesDir,
  });
  assert.equal(second.alreadyPresent, first.kept);
  assert.equal(second.kept, 10 - first.kept);
  assert.equal(second.stopReason, 'complete');
  const entries = await checkFolder(imagesDir);
  assert.equal(entries.length, 10);
  for (const entry of firstEntries) {
    const path = new URL(entry.url ?? '').pathname;
    assert.equal(server.hits.get(path), 1, `${path} was fetched once, not again on resume`);
  }

  const third = await downloadImages({provider: 'custom', urlTemplate: template, count: 10, imagesDir});
  assert.equal(third.kept, 0);
  assert.equal(third.attempts, 0);
  assert.equal(third.stopReason, 'complete');
});

test('opening a folder after a crash: stale temp files go, torn and dangling index lines go, strays are adopted', async () => {
  const imagesDir = join(work, 'crashed');
  await mkdir(imagesDir, {recursive: true});
  await copyFile(join(FIXTURE_IMAGES_DIR, 'photo_640x480.jpg'), join(imagesDir, 'img_000001.jpg'));
  await copyFile(join(FIXTURE_IMAGES_DIR, 'square_224.png'), join(imagesDir, 'img_000002.png'));
  await copyFile(join(FIXTURE_IMAGES_DIR, 'gray_320x240.jpg'), join(imagesDir, 'holiday.jpg'));
  // Named as writeFileAtomic names its temp files, so the store's clean-up pattern is checked against the real thing.
  const stale = atomicTempPath(join(imagesDir, 'img_000003.jpg'));
  assert.notEqual(stale, atomicTempPath(join(imagesDir, 'img_000003.jpg')), 'a new temp name per call');
  await writeFile(stale, 'half an image');
  const photo = await readFile(join(imagesDir, 'img_000001.jpg'));
  const {createHash} = await import('node:crypto');
  const good = {
    name: 'img_000001.jpg',
    sha256: createHash('sha256').update(photo).digest('hex'),
    url: 'http://example.invalid/1',
    provider: 'picsum',
    width: 640,
    height: 480,
    bytes: photo.length,
    time: new Date(0).toISOString(),
  };
  const dangling = {...good, name: 'img_000009.jpg', sha256: 'f'.repeat(64)};
  await writeFile(
    join(imagesDir, DOWNLOAD_INDEX_FILE),
    `${JSON.stringify(good)}\n${JSON.stringify(dangling)}\n{"name":"img_000002.png","sha2`,
  );

  const report = await downloadImages({
    provider: 'picsum',
    picsumBaseUrl: server.origin,
    count: 3,
    imagesDir,
  });
  assert.equal(report.alreadyPresent, 3, 'the indexed photo plus two adopted images');
  assert.equal(report.recoveredFiles, 2);
  assert.equal(report.cleanedTempFiles, 1);
  assert.equal(report.kept, 0);
  assert.equal(report.stopReason, 'complete');
  const entries = await checkFolder(imagesDir);
  assert.deepEqual(entries.map((entry) => entry.name).sort(), [
    'holiday.jpg',
    'img_000001.jpg',
    'img_000002.png',
  ]);
  assert.equal(
    entries.find((entry) => entry.name === 'img_000001.jpg')?.url,
    good.url,
    'known origins are kept',
  );
  assert.ok(!(await readdir(imagesDir)).some((name) => name.startsWith('.tmp-')));
});

test('an image already in the folder is a duplicate, not a second file; new names continue the numbering', async () => {
  const imagesDir = join(work, 'dups');
  await mkdir(imagesDir, {recursive: true});
  await writeFile(join(imagesDir, 'img_000041.jpg'), server.images[0]!);
  const urlsFile = join(work, 'dups.txt');
  await writeFile(urlsFile, `${server.urls[0]}\n${server.urls[1]}\n${server.urls[0]}?again\n`);
  const report = await downloadImages({provider: 'urls', urlsFile, count: 5, imagesDir});
  assert.equal(report.duplicates, 2);
  assert.equal(report.kept, 1);
  assert.deepEqual(report.files, ['img_000042.jpg']);
  assert.equal(report.stopReason, 'exhausted');
  assert.equal((await readIndex(imagesDir)).length, 2);
  await checkFolder(imagesDir);
});

/** Keeps a distinct variant of a fixture JPEG (its trailing byte differs), as a download worker would. */
async function keepVariant(store: ImageStore, index: number) {
  const fixture = await readFile(join(FIXTURE_IMAGES_DIR, (await readdir(FIXTURE_IMAGES_DIR))[0] ?? ''));
  const bytes = Buffer.concat([fixture, Buffer.from([index])]);
  const {width, height} = await probeImage(bytes);
  return store.keep(bytes, {
    extension: 'jpg',
    sha256: sha256Hex(bytes),
    url: `http://127.0.0.1/${index}`,
    provider: 'urls',
    width,
    height,
  });
}

test('images kept at once share group commits: every one is indexed exactly once, in a file that reopens whole', async () => {
  const imagesDir = join(work, 'group-commit');
  const store = await ImageStore.open(imagesDir, 1e8);
  // 24 distinct images kept concurrently, as 16 workers would.
  const kept = await Promise.all(Array.from({length: 24}, (_, index) => keepVariant(store, index)));
  await store.close();
  const lines = (await readFile(join(imagesDir, DOWNLOAD_INDEX_FILE), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 24);
  assert.deepEqual(
    new Set(lines.map((line) => JSON.parse(line).name)),
    new Set(kept.map((entry) => entry.name)),
  );
  const reopened = await ImageStore.open(imagesDir, 1e8);
  assert.equal(reopened.count, 24);
  assert.equal(reopened.recoveredFiles, 0);
  await reopened.close();
});

test('a failed group commit fails the next keep and close; the image it left un-indexed is adopted on reopen', async () => {
  const imagesDir = join(work, 'failed-commit');
  const first = await ImageStore.open(imagesDir, 1e8);
  await keepVariant(first, 0);
  await first.close(); // its commit is done
  const store = await ImageStore.open(imagesDir, 1e8);
  // The index handle is private; closing it under the store is the one reliable way to fail an append mid-run.
  await (store as unknown as {handle: {close(): Promise<void>}}).handle.close();
  await keepVariant(store, 1);
  await assert.rejects(async () => {
    for (let index = 2; index < 50; index++) await keepVariant(store, index);
  }, /EBADF|closed/);
  await assert.rejects(store.close(), /EBADF|closed/);
  const reopened = await ImageStore.open(imagesDir, 1e8);
  const names = reopened.entries.map((entry) => entry.name);
  assert.ok(names.includes('img_000001.jpg') && names.includes('img_000002.jpg'), names.join());
  assert.equal(reopened.entries.find((entry) => entry.name === 'img_000001.jpg')?.url, 'http://127.0.0.1/0');
  assert.equal(reopened.entries.find((entry) => entry.name === 'img_000002.jpg')?.url, null);
  await reopened.close();
  await checkFolder(imagesDir);
});
