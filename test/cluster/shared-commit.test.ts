/** Shards committed by many processes without the writer's lock: one model per collection, idempotent by content. */
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {readManifest} from '../../source/core/collection/manifest.js';
import {
  commitSharedShard,
  committedShard,
  type SharedCommitHeader,
} from '../../source/core/collection/shared-commit.js';
import {readCollectionState} from '../../source/core/collection/state.js';
import {UserError} from '../../source/core/errors.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-shared-commit-'));
});
after(() => rm(work, {recursive: true, force: true}));

const header = (dtype = 'fp32'): SharedCommitHeader => ({
  model: {name: 'tiny', path: '/m', file: 'onnx/vision_model.onnx', dtype, preprocess_version: 'v1'},
  embedding_dim: 2,
  images_dir: '/images',
  shard_size: 2,
});
const rows = (value: number) => ({
  rows: [new Float32Array([value, 0]), new Float32Array([0, value])],
  filenames: ['a.jpg', 'b.jpg'],
  images: [
    {sha256: 'a', bytes: 1, mtime_ms: 1},
    {sha256: 'b', bytes: 1, mtime_ms: 1},
  ],
});

test('concurrent commits create one manifest, repeat as no-ops, and refuse other rows or another model', async () => {
  const dir = join(work, 'collection');
  const first = await Promise.all(
    ['00000000', '00000001', '00000002'].map((id) => commitSharedShard(dir, header(), {id, ...rows(1)})),
  );
  assert.deepEqual(
    first.map((result) => result.existed),
    [false, false, false],
  );
  const manifest = await readManifest(dir);
  assert.equal(manifest?.header.model.dtype, 'fp32');
  assert.deepEqual(manifest?.shards, [], 'the manifest is left to merge');
  const state = await readCollectionState(dir);
  assert.deepEqual(
    state?.shards.map((shard) => [shard.id, shard.listed]),
    [
      ['00000000', false],
      ['00000001', false],
      ['00000002', false],
    ],
  );
  const again = await commitSharedShard(dir, header(), {id: '00000001', ...rows(1)});
  assert.equal(again.existed, true);
  await assert.rejects(
    commitSharedShard(dir, header(), {id: '00000001', ...rows(2)}),
    /shard 00000001 was committed before with other rows/,
  );
  await assert.rejects(commitSharedShard(dir, header('q8'), {id: '00000003', ...rows(1)}), (error) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /holds embeddings of tiny fp32/);
    return true;
  });
  assert.equal(await committedShard(dir, '00000003'), null, 'nothing committed for the refused model');
  assert.equal((await committedShard(dir, '00000002'))?.rows, 2);
});
