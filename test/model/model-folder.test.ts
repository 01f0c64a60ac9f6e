import assert from 'node:assert/strict';
import {cp, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {
  DTYPES,
  modelFileFor,
  openModelFolder,
  resolveModelsDir,
} from '../../source/core/model/model-folder.js';

const tinyClip = new URL('../fixtures/tiny-clip', import.meta.url).pathname;
let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-model-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

test('the models directory: flag, then VISUAL_CORTEX_MODELS, then ./models', () => {
  assert.equal(resolveModelsDir('/m', {VISUAL_CORTEX_MODELS: '/env'}, '/cwd'), '/m');
  assert.equal(resolveModelsDir(undefined, {VISUAL_CORTEX_MODELS: '/env'}, '/cwd'), '/env');
  assert.equal(resolveModelsDir(undefined, {}, '/cwd'), '/cwd/models');
  assert.equal(resolveModelsDir('rel', {}, '/cwd'), '/cwd/rel');
});

test('dtype files follow the transformers.js layout', () => {
  assert.deepEqual(DTYPES, ['fp32', 'q8', 'fp16']);
  assert.equal(modelFileFor('vision', 'fp32'), 'onnx/vision_model.onnx');
  assert.equal(modelFileFor('vision', 'q8'), 'onnx/vision_model_quantized.onnx');
  assert.equal(modelFileFor('text', 'fp16'), 'onnx/text_model_fp16.onnx');
});

test('a folder opens by path or by a name (Hub ids included) under the models directory', async () => {
  const models = join(work, 'models');
  await mkdir(join(models, 'Xenova'), {recursive: true});
  await cp(tinyClip, join(models, 'Xenova', 'clip-tiny'), {recursive: true});
  const byName = await openModelFolder('Xenova/clip-tiny', {modelsDir: models, dtype: 'q8', needText: true});
  assert.equal(byName.name, 'Xenova/clip-tiny');
  assert.equal(byName.dir, join(models, 'Xenova', 'clip-tiny'));
  assert.equal(byName.visionModelPath('q8'), join(byName.dir, 'onnx/vision_model_quantized.onnx'));
  assert.equal(byName.tokenizerPath, join(byName.dir, 'tokenizer.json'));
  assert.equal(byName.preprocess.cropHeight, 224);
  assert.equal((byName.config as {projection_dim: number}).projection_dim, 512);
  const byPath = await openModelFolder(tinyClip, {modelsDir: models});
  assert.equal(byPath.name, 'tiny-clip');
  assert.equal(byPath.dir, tinyClip);
});

test('registry aliases and Hub ids find the folder that `models pull` installed', async () => {
  const models = join(work, 'aliases');
  await mkdir(models, {recursive: true});
  await cp(tinyClip, join(models, 'ViT-B-32'), {recursive: true});
  for (const alias of ['ViT-B-32', 'vit-b-32', 'ViT-B/32', 'Xenova/clip-vit-base-patch32']) {
    const folder = await openModelFolder(alias, {modelsDir: models});
    assert.equal(folder.dir, join(models, 'ViT-B-32'), alias);
    assert.equal(folder.name, 'ViT-B-32', alias);
  }
});

test('missing models and files are user errors naming the path and the fix', async () => {
  const models = join(work, 'empty-models');
  await assert.rejects(openModelFolder('ViT-B-16', {modelsDir: models}), (error: Error & {hint?: string}) => {
    assert.equal(error.name, 'UserError');
    assert.ok(error.message.includes(join(models, 'ViT-B-16')), error.message);
    assert.match(error.hint ?? '', /visual-cortex models pull ViT-B-16 --dtype fp32/);
    return true;
  });
  await assert.rejects(
    openModelFolder(tinyClip, {modelsDir: models, dtype: 'fp16'}),
    (error: Error & {hint?: string}) => {
      assert.ok(error.message.includes(join(tinyClip, 'onnx/vision_model_fp16.onnx')), error.message);
      assert.match(error.hint ?? '', /use a --dtype whose files .*tiny-clip holds/);
      assert.doesNotMatch(error.hint ?? '', /models pull tiny-clip/);
      return true;
    },
  );
  const noConfig = join(work, 'no-config');
  await mkdir(noConfig, {recursive: true});
  await assert.rejects(openModelFolder(noConfig, {modelsDir: models}), (error: Error & {hint?: string}) => {
    assert.match(error.message, /has no preprocessor_config\.json/);
    // A folder given by path is not a model name to pull: say what a model folder holds instead.
    assert.match(
      error.hint ?? '',
      /no-config is not a model folder: a model folder holds preprocessor_config/,
    );
    assert.doesNotMatch(error.hint ?? '', /models pull no-config/);
    return true;
  });
  await assert.rejects(
    openModelFolder(join(work, 'nowhere'), {modelsDir: models}),
    (error: Error & {hint?: string}) => {
      assert.match(error.hint ?? '', /no folder at .*nowhere; a model folder holds/);
      return true;
    },
  );
});
