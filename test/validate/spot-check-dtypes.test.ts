// validate passes on what embed writes, for every dtype, session count and decode mode: the spot check
// re-embeds rows one image at a time, which q8's batch-wide quantisation and the fast decode both affect.
import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {after, before, test} from 'node:test';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {spotCheckMinCosine} from '../../source/core/validate/types.js';
import {validateOutputs as runValidation} from '../../source/core/validate/validate-outputs.js';

const TINY_CLIP = resolve('test/fixtures/tiny-clip');
const IMAGES = resolve('test/fixtures/images');
let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-spot-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

test('q8 rows are checked with their own measured tolerance, fp32 with the tight one', () => {
  assert.equal(spotCheckMinCosine('fp32'), 0.9999);
  assert.equal(spotCheckMinCosine('q8'), 0.999);
});

for (const run of [
  {dtype: 'q8', sessions: 2, decode: 'exact', batchSize: 8},
  {dtype: 'q8', sessions: 1, decode: 'fast', batchSize: 3},
  {dtype: 'fp32', sessions: 1, decode: 'fast', batchSize: 8},
] as const) {
  const name = `${run.dtype}-${run.sessions}s-${run.decode}`;
  test(`validate passes on ${run.dtype} outputs (${run.sessions} session(s), decode ${run.decode}), every row re-embedded`, async () => {
    const embeddingsDir = join(work, name);
    await embedImages({
      imagesDir: IMAGES,
      embeddingsDir,
      model: TINY_CLIP,
      modelsDir: join(work, 'models'),
      device: 'cpu',
      threads: 2,
      ...run,
    });
    const metadata = JSON.parse(await readFile(join(embeddingsDir, 'metadata.json'), 'utf8'));
    assert.equal(metadata.model.decode, run.decode);
    assert.equal(metadata.model.preprocess_version.includes('fast'), run.decode === 'fast');
    assert.equal(metadata.cpu_split.adaptive, true);
    assert.ok(metadata.cpu_split.workers_initial >= 1 && metadata.cpu_split.cpu_seconds >= 0);
    const report = await runValidation({
      embeddingsDir,
      modelsDir: join(work, 'models'),
      sample: 8,
      seed: 1,
    });
    const embeddings = report.checks.find((check) => check.id === 'embeddings');
    assert.equal(embeddings?.status, 'passed', JSON.stringify(embeddings?.details));
    if (run.dtype === 'fp32') {
      // Re-embedded as they were made (the fast decode too), fp32 rows come back to float precision: an exact
      // re-embedding of fast rows gives ~0.99999 on this model, which the tolerance alone would let pass.
      const detail = embeddings?.details.map((item) => item.message).join(' ') ?? '';
      const min = Number(/min cosine ([\d.]+)/.exec(detail)?.[1]);
      assert.ok(min >= 0.999999, detail);
    }
  });
}
