import assert from 'node:assert/strict';
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {after, before, test} from 'node:test';
import type {EmbedMetadata} from '../../source/core/embed/metadata.js';
import {writeEmbeddingOutputs} from '../../source/core/embed/outputs.js';
import {
  asCommit,
  commitInProgress,
  commitsSettled,
  removeStaleTempFiles,
  tempFileOwner,
  tempPathFor,
} from '../../source/core/fs/temp-files.js';

/** Above Linux's largest pid (2^22), so never a running process. */
const DEAD = 4_194_305;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vc-temp-files-'));
});
after(async () => {
  await rm(dir, {recursive: true, force: true});
});

/** One leftover of every writer that stages files in an embeddings folder, by a process that is gone. */
const LEFTOVERS = [
  `.tmp-metadata.json-${DEAD}-0000abcd`, // writeFileAtomic
  `.tmp-image_filenames.npy-${DEAD}-ffffffff`, // writeFileAtomic
  `.tmp-image_embeddings.npy-stream-${DEAD}-lq2x9k1`, // the row stream of earlier versions
  `.tmp-image_embeddings.hnsw-${DEAD}`, // the index writer of earlier versions
  `.tmp-shard-00000003-${DEAD}-1`, // a shard folder
];

test('every writer names its temp files so that the pid can be read back', () => {
  const path = tempPathFor(join(dir, 'image-2-x.npy'));
  assert.match(path, new RegExp(`/\\.tmp-image-2-x\\.npy-${process.pid}-[0-9a-f]{8}$`));
  assert.equal(tempFileOwner(path.slice(dir.length + 1)), process.pid);
  assert.notEqual(tempPathFor(join(dir, 'a')), tempPathFor(join(dir, 'a')), 'a new name on every call');
  for (const name of LEFTOVERS) assert.equal(tempFileOwner(name), DEAD, name);
  for (const name of ['metadata.json', '.tmp-', '.tmp-x', '.lock', 'img_000001.jpg']) {
    assert.equal(tempFileOwner(name), undefined, name);
  }
});

test("removeStaleTempFiles removes dead writers' files and folders, and keeps live ones and the outputs", async () => {
  const folder = join(dir, 'stale');
  await mkdir(folder);
  for (const name of LEFTOVERS) {
    if (name.startsWith('.tmp-shard-')) {
      await mkdir(join(folder, name));
      await writeFile(join(folder, name, 'embeddings.npy'), 'half a shard');
    } else await writeFile(join(folder, name), 'partial');
  }
  const live = `.tmp-metadata.json-${process.ppid}-00000001`;
  const own = basename(tempPathFor(join(folder, 'metadata.json')));
  for (const name of [live, own, 'metadata.json']) await writeFile(join(folder, name), '');
  const removed = await removeStaleTempFiles(folder);
  assert.deepEqual(removed.sort(), [...LEFTOVERS].sort());
  assert.deepEqual((await readdir(folder)).sort(), [live, own, 'metadata.json'].sort());
  assert.deepEqual(await removeStaleTempFiles(join(dir, 'nowhere')), [], 'a missing folder has none');
});

test('the next output set written into a folder removes the leftovers of a killed run', async () => {
  const folder = join(dir, 'outputs');
  await mkdir(folder);
  for (const name of LEFTOVERS.slice(0, 2)) await writeFile(join(folder, name), 'partial');
  await writeEmbeddingOutputs(
    folder,
    {vectors: new Float32Array([1, 0, 0, 1]), count: 2, dims: 2, filenames: ['a.jpg', 'b.jpg']},
    () => ({interrupted: false}) as Omit<EmbedMetadata, 'files'>,
  );
  assert.deepEqual((await readdir(folder)).sort(), [
    'image_embeddings.npy',
    'image_filenames.npy',
    'metadata.json',
  ]);
});

test('commitsSettled waits for every commit in progress', async () => {
  assert.equal(commitInProgress(), false);
  await commitsSettled();
  let release = () => {};
  const commit = asCommit(() => new Promise<string>((resolve) => (release = () => resolve('done'))));
  assert.equal(commitInProgress(), true);
  let settled = false;
  const waiting = commitsSettled().then(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  release();
  assert.equal(await commit, 'done');
  await waiting;
  assert.equal(commitInProgress(), false);
});
