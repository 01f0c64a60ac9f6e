import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {defaultBatchSize} from '../../source/core/embed/batch-size.js';
import {createEmbedder} from '../../source/core/embed/embedder.js';
import {defaultPreprocessWorkers} from '../../source/core/embed/preprocess-pool.js';
import {tinyClip} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-machine-defaults-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

test('one preprocessing worker per four inference threads, from 1 to 8 (measured on 2 and 16 cores)', () => {
  assert.equal(defaultPreprocessWorkers(1), 1);
  assert.equal(defaultPreprocessWorkers(2), 1);
  assert.equal(defaultPreprocessWorkers(4), 1);
  assert.equal(defaultPreprocessWorkers(8), 2);
  assert.equal(defaultPreprocessWorkers(16), 4);
  assert.equal(defaultPreprocessWorkers(64), 8);
});

test('batches of 8, and of 16 once there are 12 inference threads or more', () => {
  assert.equal(defaultBatchSize(1), 8);
  assert.equal(defaultBatchSize(11), 8);
  assert.equal(defaultBatchSize(12), 16);
  assert.equal(defaultBatchSize(64), 16);
});

test('the embedder takes its batch size and worker count from the threads it is given, unless told', async () => {
  const open = (overrides: {threads: number; batchSize?: number; preprocessWorkers?: number}) =>
    createEmbedder({
      model: tinyClip,
      modelsDir: join(work, 'no-models'),
      dtype: 'fp32',
      device: 'cpu',
      ...overrides,
    });
  const cases = [
    {options: {threads: 2}, batchSize: 8, workers: 1},
    {options: {threads: 12}, batchSize: 16, workers: 3},
    {options: {threads: 12, batchSize: 5, preprocessWorkers: 2}, batchSize: 5, workers: 2},
  ];
  for (const {options, batchSize, workers} of cases) {
    const embedder = await open(options);
    try {
      assert.equal(embedder.batchSize, batchSize, JSON.stringify(options));
      assert.equal(embedder.preprocessWorkers, workers, JSON.stringify(options));
    } finally {
      await embedder.close();
    }
  }
});
