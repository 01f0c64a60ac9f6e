import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {gunzipSync} from 'node:zlib';
import {
  type PreprocessConfig,
  parsePreprocessorConfig,
  preprocessImage,
  preprocessImageInto,
  tensorLength,
} from '../../source/core/image/clip-preprocess.js';
import {parseNpy} from '../../source/core/npy.js';

const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));
const PLANE = 3 * 224 * 224;

async function loadGolden(): Promise<{images: string[]; pixels: Float32Array; config: PreprocessConfig}> {
  const meta = JSON.parse(await readFile(join(fixtures, 'golden', 'meta.json'), 'utf8')) as {
    images: string[];
  };
  const npy = parseNpy(gunzipSync(await readFile(join(fixtures, 'golden', 'pixel_values.npy.gz'))));
  assert.equal(npy.descr, '<f4');
  assert.deepEqual(npy.shape, [meta.images.length, 3, 224, 224]);
  const pixels = new Float32Array(new Uint8Array(npy.payload).buffer);
  const configJson = JSON.parse(
    await readFile(join(fixtures, 'tiny-clip', 'preprocessor_config.json'), 'utf8'),
  );
  return {images: meta.images, pixels, config: parsePreprocessorConfig(configJson)};
}

function compare(ours: Float32Array, golden: Float32Array, offset: number): {mean: number; max: number} {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < PLANE; i++) {
    const diff = Math.abs(ours[i]! - golden[offset + i]!);
    sum += diff;
    if (diff > max) max = diff;
  }
  return {mean: sum / PLANE, max};
}

test('every fixture image matches the reference pixel values (golden pixel_values.npy)', async (t) => {
  const {images, pixels, config} = await loadGolden();
  assert.equal(tensorLength(config), PLANE);
  for (const [index, name] of images.entries()) {
    const ours = await preprocessImage(join(fixtures, 'images', name), config);
    const {mean, max} = compare(ours, pixels, index * PLANE);
    t.diagnostic(`${name}: mean abs diff ${mean.toExponential(2)}, max abs diff ${max.toExponential(2)}`);
    assert.ok(mean <= 0.01, `${name}: mean abs diff ${mean} over 0.01`);
    if (name === 'square_224.png') assert.ok(max <= 1e-5, `square_224.png: max abs diff ${max} over 1e-5`);
    // Lossless sources leave no room for decoder differences: the resampler and arithmetic must be exact.
    if (name.endsWith('.png')) assert.ok(max <= 1e-5, `${name}: max abs diff ${max} over 1e-5`);
  }
});

test('the PIL-backend resampler stays within a pixel level of the torchvision-backend golden values', async (t) => {
  const {images, pixels, config} = await loadGolden();
  const pil: PreprocessConfig = {...config, resampler: 'pil'};
  const levels = 2 / 255 / Math.min(...config.std); // two uint8 levels, in normalised units
  for (const [index, name] of images.entries()) {
    const {mean, max} = compare(
      await preprocessImage(join(fixtures, 'images', name), pil),
      pixels,
      index * PLANE,
    );
    t.diagnostic(
      `${name} (pil): mean abs diff ${mean.toExponential(2)}, max abs diff ${max.toExponential(2)}`,
    );
    assert.ok(mean <= 2e-4, `${name}: mean ${mean}`);
    assert.ok(max <= levels + 1e-4, `${name}: max ${max}`);
  }
});

test('preprocessImageInto writes one image at an offset of a batch and nothing else', async () => {
  const {images, pixels, config} = await loadGolden();
  const batch = new Float32Array(3 * PLANE).fill(42);
  await preprocessImageInto(join(fixtures, 'images', images[5]!), config, batch, PLANE);
  assert.ok(batch.subarray(0, PLANE).every((value) => value === 42));
  assert.ok(batch.subarray(2 * PLANE).every((value) => value === 42));
  assert.ok(compare(batch.subarray(PLANE, 2 * PLANE), pixels, 5 * PLANE).max <= 1e-5);
  const bytes = await readFile(join(fixtures, 'images', images[0]!));
  await assert.rejects(preprocessImageInto(bytes, config, batch, 2 * PLANE + 1), RangeError);
});

test('images preprocessed at once on one thread each get their own pixels (JPEGs share a reused decode buffer)', async () => {
  const {images, pixels, config} = await loadGolden();
  const batch = new Float32Array(images.length * PLANE);
  // Bytes, not paths: every decode then starts in the same tick, the case a reused buffer must survive.
  const inputs = await Promise.all(images.map((name) => readFile(join(fixtures, 'images', name))));
  await Promise.all(inputs.map((input, index) => preprocessImageInto(input, config, batch, index * PLANE)));
  for (const [index, name] of images.entries()) {
    const found = compare(batch.subarray(index * PLANE, (index + 1) * PLANE), pixels, index * PLANE);
    assert.ok(found.max <= 1e-5, `${name}: max |diff| ${found.max}`);
  }
});
