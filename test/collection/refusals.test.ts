import assert from 'node:assert/strict';
import {copyFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {writeEmbeddingOutputs} from '../../source/core/embed/outputs.js';
import {createSearcher} from '../../source/core/search/searcher.js';
import {validateOutputs as runValidation} from '../../source/core/validate/validate-outputs.js';
import {openCollectionBackend} from '../../source/server/collection-backend.js';
import {fixtureEmbedOptions} from '../embed/helpers.js';
import {concat, unitRows} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-refuse-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

test("search and serve refuse plain outputs whose files come from two runs (metadata.json's checksums)", async () => {
  const names = ['a.jpg', 'b.jpg', 'c.jpg'];
  const write = async (dir: string, seed: number) => {
    const rows = unitRows(3, seed, 512);
    await writeEmbeddingOutputs(
      dir,
      {vectors: concat(rows), count: 3, dims: 512, filenames: names},
      () =>
        ({
          model: {name: 'tiny-clip', path: 'test/fixtures/tiny-clip', dtype: 'fp32'},
          input_dir: work,
        }) as never,
    );
  };
  const older = join(work, 'older');
  const mixed = join(work, 'mixed');
  await write(older, 1);
  await write(mixed, 2);
  // What a kill between the renames of an earlier version left: new names and metadata, old rows.
  await copyFile(join(older, 'image_embeddings.npy'), join(mixed, 'image_embeddings.npy'));
  for (const open of [
    () => createSearcher({embeddingsDir: mixed, modelsDir: 'test/fixtures'}),
    () => openCollectionBackend({embeddingsDir: mixed, modelsDir: 'test/fixtures'}),
  ])
    await assert.rejects(open(), (error: Error & {hint?: string}) => {
      assert.equal(error.name, 'UserError');
      assert.match(
        error.message,
        /outputs in .*mixed are not the set metadata.json describes: image_embeddings\.npy/,
      );
      assert.match(error.hint ?? '', /embed again into .*mixed/);
      return true;
    });
  const searcher = await createSearcher({embeddingsDir: older, modelsDir: 'test/fixtures'});
  assert.equal(searcher.count, 3);
  await searcher.close();
});

test('a damaged shard: search and serve refuse it with the fix, validate fails Structure and still checks the view', async () => {
  const embeddingsDir = join(work, 'damaged');
  await embedImages(fixtureEmbedOptions(work, {embeddingsDir, shardSize: 4}));
  const path = join(embeddingsDir, 'shards', '00000001', 'filenames.npy');
  const bytes = await readFile(path);
  bytes[bytes.length - 4] = 0x41;
  await writeFile(path, bytes);
  for (const open of [
    () => createSearcher({embeddingsDir, modelsDir: work}),
    () => openCollectionBackend({embeddingsDir, modelsDir: work}),
  ])
    await assert.rejects(open(), (error: Error & {hint?: string}) => {
      assert.match(
        error.message,
        /shard 00000001 .* is damaged: filenames\.npy does not match its recorded SHA-256/,
      );
      assert.match(error.hint ?? '', /delete the folder .*00000001, then run 'visual-cortex embed'/);
      return true;
    });
  const report = await runValidation({embeddingsDir, modelsDir: work, sample: 0, seed: 1});
  const structure = report.checks[0]!;
  assert.equal(structure.status, 'failed');
  assert.match(structure.summary, /shard 00000001: filenames\.npy does not match its recorded SHA-256/);
  assert.deepEqual(
    report.checks.slice(1).map((check) => check.status),
    ['passed', 'passed', 'passed', 'passed'],
  );
});
