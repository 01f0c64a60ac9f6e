// --decode fast: JPEGs decoded at the smallest DCT scale that still covers the resize, then the exact resampler.
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {
  PREPROCESS_VERSION,
  parsePreprocessorConfig,
  preprocessImage,
  preprocessVersion,
  shrinkFitsFor,
} from '../../source/core/image/clip-preprocess.js';
import {decodeJpegRgb, jpegScaledSize} from '../../source/core/image/turbojpeg.js';
import {turboJpegOrSkip} from '../helpers/turbojpeg.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const config = parsePreprocessorConfig(
  JSON.parse(await readFile(join(fixtures, 'tiny-clip/preprocessor_config.json'), 'utf8')),
);
const fits = shrinkFitsFor(config);

test('the scale is the smallest eighth whose size still covers the resize (224 on the short side)', () => {
  assert.equal(config.shortestEdge, 224);
  assert.deepEqual(jpegScaledSize(4032, 3024, fits), {width: 504, height: 378}, '1/8');
  assert.deepEqual(jpegScaledSize(3024, 4032, fits), {width: 378, height: 504}, 'portrait: 1/8');
  // 1500 x 1/8 = 187.5 -> 188 < 224; 2/8 -> 375.
  assert.deepEqual(jpegScaledSize(2000, 1500, fits), {width: 500, height: 375});
  // 640x480: 4/8 gives 240 (3/8 gives 180); sides round up, as libjpeg's TJSCALED does.
  assert.deepEqual(jpegScaledSize(640, 480, fits), {width: 320, height: 240});
  assert.deepEqual(jpegScaledSize(1023, 511, fits), {width: 512, height: 256});
  assert.deepEqual(jpegScaledSize(400, 300, fits), {width: 300, height: 225}, '6/8');
  // Nothing smaller fits: full size (exact pixels).
  assert.deepEqual(jpegScaledSize(298, 224, fits), {width: 298, height: 224});
  assert.deepEqual(jpegScaledSize(100, 80, fits), {width: 100, height: 80});
});

test('fast and exact have their own preprocessing versions (so their vectors never share a cache key)', () => {
  assert.equal(preprocessVersion('exact'), PREPROCESS_VERSION);
  assert.notEqual(preprocessVersion('fast'), preprocessVersion('exact'));
});

test('libjpeg decodes at the reduced scale; the tensor stays close to the exact one', async (t) => {
  if (!turboJpegOrSkip(t)) return;
  const jpeg = await readFile(join(fixtures, 'images/wide_1023x511.jpg'));
  const scaled = decodeJpegRgb(jpeg, 1e8, undefined, fits);
  assert.deepEqual([scaled?.width, scaled?.height], [512, 256]);
  const exact = await preprocessImage(jpeg, config);
  const fast = await preprocessImage(jpeg, config, {decode: 'fast'});
  let max = 0;
  let sum = 0;
  for (let index = 0; index < exact.length; index++) {
    const diff = Math.abs((exact[index] ?? 0) - (fast[index] ?? 0));
    sum += diff;
    max = Math.max(max, diff);
  }
  const mean = sum / exact.length;
  t.diagnostic(
    `wide_1023x511.jpg fast vs exact: mean |diff| ${mean.toExponential(2)}, max ${max.toFixed(3)}`,
  );
  assert.ok(max > 0, 'a reduced scale is not the exact decode');
  // Normalised units (1/255 of a pixel is ~0.015); this image's hard synthetic edges alias most. The measured
  // drift on photos is in docs/fidelity.md.
  assert.ok(mean < 0.05 && max < 2, `mean ${mean}, max ${max}`);
});

test('images too small to shrink, and formats other than JPEG, give the exact pixels', async () => {
  for (const file of ['gray_320x240.jpg', 'alpha_400x300.png', 'webp_256.webp']) {
    const bytes = await readFile(join(fixtures, 'images', file));
    const exact = await preprocessImage(bytes, config);
    const fast = await preprocessImage(bytes, config, {decode: 'fast'});
    assert.deepEqual(fast, exact, file);
  }
});
