import assert from 'node:assert/strict';
import {cp, mkdtemp, readFile, rm, utimes, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {mergeCollection} from '../../source/core/collection/merge.js';
import {openCollection} from '../../source/core/collection/reader.js';
import {type EmbedOptions, embedImages} from '../../source/core/embed/embed-images.js';
import {createSearcher} from '../../source/core/search/searcher.js';
import {validateOutputs as runValidation} from '../../source/core/validate/validate-outputs.js';
import {fixtureEmbedOptions, fixtureImages, tinyClip} from '../embed/helpers.js';
import {leftovers} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-sync-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

// Batches of one image: every row is computed alone, so rows are bit-identical whatever the batch layout.
const options = (overrides: Partial<EmbedOptions> & {embeddingsDir: string}): EmbedOptions =>
  fixtureEmbedOptions(work, {batchSize: 1, threads: 1, shardSize: 3, ...overrides});

async function rowsByName(dir: string): Promise<Map<string, Float32Array>> {
  const collection = await openCollection(dir);
  const {data, dims} = collection.matrix;
  return new Map(collection.files.map((file, row) => [file, data.slice(row * dims, (row + 1) * dims)]));
}

test('embed syncs: new files appended, deleted and changed ones tombstoned, unchanged ones kept unread', async () => {
  const images = join(work, 'images');
  await cp(fixtureImages, images, {recursive: true});
  const embeddingsDir = join(work, 'synced');
  const first = await embedImages(options({imagesDir: images, embeddingsDir}));
  assert.deepEqual(first.sync, {
    shards: 3,
    liveRows: 8,
    appended: 8,
    kept: 0,
    removed: 0,
    adopted: [],
    viewWritten: true,
  });

  await rm(join(images, 'tiny_50x40.png'));
  await writeFile(join(images, 'square_224.png'), await readFile(join(fixtureImages, 'alpha_400x300.png')));
  await cp(join(fixtureImages, 'photo_640x480.jpg'), join(images, 'new', 'photo copy.jpg'));
  // Touched but not changed: hashed, found the same, kept.
  await utimes(join(images, 'gray_320x240.jpg'), new Date(), new Date(Date.now() + 5000));
  const second = await embedImages(options({imagesDir: images, embeddingsDir}));
  assert.deepEqual(
    {appended: second.sync.appended, kept: second.sync.kept, removed: second.sync.removed},
    {appended: 2, kept: 6, removed: 2},
  );
  assert.equal(second.metadata.counts.ok, 8);
  assert.equal(second.metadata.collection?.tombstones, 2);
  assert.deepEqual(second.metadata.collection?.run, {
    inputs: 2,
    ok: 2,
    failed: 0,
    cache_hits: 0,
    kept: 6,
    removed: 2,
  });
  const third = await embedImages(options({imagesDir: images, embeddingsDir}));
  assert.deepEqual([third.sync.appended, third.sync.removed, third.sync.viewWritten], [0, 0, false]);

  // The same rows as a clean embed of the folder as it is now, each image once.
  const clean = await embedImages(options({imagesDir: images, embeddingsDir: join(work, 'clean')}));
  assert.equal(clean.sync.liveRows, 8);
  const synced = await rowsByName(embeddingsDir);
  const fresh = await rowsByName(join(work, 'clean'));
  assert.deepEqual([...synced.keys()].sort(), [...fresh.keys()].sort());
  for (const [file, row] of fresh) assert.deepEqual(synced.get(file), row, file);
  assert.deepEqual(await leftovers(embeddingsDir), []);

  const report = await runValidation({
    embeddingsDir,
    modelsDir: join(work, 'none'),
    sample: 2,
    seed: 1,
  });
  assert.ok(report.passed, JSON.stringify(report.checks.filter((check) => check.status !== 'passed')));
  const structure = report.checks[0]!.details.map((detail) => detail.message).join('\n');
  assert.match(structure, /collection: 4 shards, 8 live rows, 2 tombstones, checksums match/);
  assert.match(structure, /the merged view covers all 4 shards/);
});

test('a run with another dtype or images folder refuses with the fix; --replace starts over', async () => {
  const embeddingsDir = join(work, 'fixed');
  await embedImages(options({embeddingsDir}));
  await assert.rejects(
    embedImages(options({embeddingsDir, dtype: 'q8'})),
    (error: Error & {hint?: string}) => {
      assert.equal(error.name, 'UserError');
      assert.match(error.message, /embeddings of tiny-clip fp32 .* this run makes tiny-clip q8/);
      assert.match(error.hint ?? '', /--replace/);
      return true;
    },
  );
  const other = join(work, 'other-images');
  await cp(join(fixtureImages, 'square_224.png'), join(other, 'one.png'));
  await assert.rejects(
    embedImages(options({embeddingsDir, imagesDir: other})),
    /its images come from .* not .*other-images/,
  );
  const replaced = await embedImages(options({embeddingsDir, dtype: 'q8', replace: true}));
  assert.equal(replaced.metadata.model.dtype, 'q8');
  assert.equal(replaced.sync.liveRows, 8);
  assert.equal((await openCollection(embeddingsDir)).header.model.dtype, 'q8');
  assert.deepEqual(await leftovers(embeddingsDir), []);
});

test('--no-merged-view: search and validate work from the shards alone; merge writes the view later', async () => {
  const embeddingsDir = join(work, 'no-view');
  const report = await embedImages(options({embeddingsDir, mergedView: false}));
  assert.equal(report.sync.viewWritten, false);
  await assert.rejects(readFile(join(embeddingsDir, 'image_embeddings.npy')), {code: 'ENOENT'});
  const searcher = await createSearcher({
    embeddingsDir,
    modelsDir: join(work, 'none'),
    model: tinyClip,
  });
  try {
    assert.equal(searcher.count, 8);
    const [best] = await searcher.search(`image:${join(fixtureImages, 'webp_256.webp')}`, 1);
    assert.equal(best?.file, 'webp_256.webp');
  } finally {
    await searcher.close();
  }
  const validation = await runValidation({
    embeddingsDir,
    modelsDir: join(work, 'none'),
    sample: 2,
    seed: 3,
  });
  assert.ok(
    validation.passed,
    JSON.stringify(validation.checks.filter((check) => check.status !== 'passed')),
  );
  assert.match(
    validation.checks[0]!.details.map((detail) => detail.message).join('\n'),
    /no merged view .* the checks read the shards/,
  );
  const merged = await mergeCollection({embeddingsDir});
  assert.equal(merged.liveRows, 8);
  assert.ok((await readFile(join(embeddingsDir, 'image_embeddings.npy'))).length > 8 * 512 * 4);
});
