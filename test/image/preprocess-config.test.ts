import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {UserError} from '../../source/core/errors.js';
import {
  PREPROCESS_VERSION,
  type PreprocessConfig,
  parsePreprocessorConfig,
  pixelsToTensor,
  resizedSize,
  tensorLength,
} from '../../source/core/image/clip-preprocess.js';

const fixtureConfig = fileURLToPath(
  new URL('../fixtures/tiny-clip/preprocessor_config.json', import.meta.url),
);

test('the fixture preprocessor_config.json parses to the CLIP settings', async () => {
  const config = parsePreprocessorConfig(JSON.parse(await readFile(fixtureConfig, 'utf8')));
  assert.deepEqual(config, {
    shortestEdge: 224,
    cropHeight: 224,
    cropWidth: 224,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
    rescaleFactor: 0.00392156862745098,
    resample: 3,
    doResize: true,
    doCenterCrop: true,
    doRescale: true,
    doNormalize: true,
    doConvertRgb: true,
    resampler: 'torchvision',
  });
  assert.equal(tensorLength(config), 3 * 224 * 224);
  assert.ok(PREPROCESS_VERSION.length > 0);
});

test('missing fields take the transformers defaults; other size spellings are understood', () => {
  assert.deepEqual(
    parsePreprocessorConfig({}),
    parsePreprocessorConfig(JSON.parse(JSON.stringify(defaults()))),
  );
  const numbers = parsePreprocessorConfig({
    size: 336,
    crop_size: 336,
    image_mean: 0.5,
    image_std: [0.5, 0.5, 0.5],
  });
  assert.deepEqual([numbers.shortestEdge, numbers.cropHeight, numbers.cropWidth], [336, 336, 336]);
  assert.deepEqual(numbers.mean, [0.5, 0.5, 0.5]);
  const exact = parsePreprocessorConfig({size: {height: 256, width: 320}, do_center_crop: false});
  assert.deepEqual(
    [exact.resizeHeight, exact.resizeWidth, exact.cropHeight, exact.cropWidth],
    [256, 320, 256, 320],
  );
  assert.deepEqual(resizedSize(1000, 10, exact), {width: 320, height: 256});
  assert.equal(parsePreprocessorConfig({resample: 4}).resampler, 'pil'); // BOX: torch has none
});

function defaults() {
  return {
    do_resize: true,
    size: {shortest_edge: 224},
    resample: 3,
    do_center_crop: true,
    crop_size: {height: 224, width: 224},
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    do_convert_rgb: true,
  };
}

test('a bad field is a UserError that names it', () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /\(root\)/],
    [{size: {longest: 3}}, /"size"/],
    [{size: {shortest_edge: -1}}, /"size.shortest_edge" must be a positive integer/],
    [{crop_size: 'big'}, /"crop_size"/],
    [{image_mean: [0.5, 0.5]}, /"image_mean"/],
    [{image_std: [0.5, 0, 0.5]}, /"image_std" must be greater than zero/],
    [{resample: 0}, /"resample"/],
    [{do_normalize: 'yes'}, /"do_normalize" must be true or false/],
    [{rescale_factor: 0}, /"rescale_factor"/],
    [{do_center_crop: false}, /"do_center_crop"/],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => parsePreprocessorConfig(json, 'models/x/preprocessor_config.json'),
      (error: unknown) =>
        error instanceof UserError && message.test(error.message) && error.message.startsWith('models/x/'),
      JSON.stringify(json),
    );
  }
});

test('the long edge is truncated as transformers does, and the crop is centred with floor rounding', () => {
  const config = parsePreprocessorConfig({});
  assert.deepEqual(resizedSize(1023, 511, config), {width: 448, height: 224}); // 224 * 1023 / 511 = 448.44
  assert.deepEqual(resizedSize(300, 500, config), {width: 224, height: 373}); // 373.33
  assert.deepEqual(resizedSize(50, 40, config), {width: 280, height: 224});
  // No resize: a 5-wide gradient cropped to 2 keeps columns (5 - 2) // 2 = 1 and 2.
  const crop: PreprocessConfig = {
    ...config,
    doResize: false,
    cropHeight: 1,
    cropWidth: 2,
    doNormalize: false,
  };
  const data = Uint8Array.from([0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
  const out = new Float32Array(6);
  pixelsToTensor({data, width: 5, height: 1}, crop, out, 0);
  assert.deepEqual(
    [...out],
    [10, 20, 10, 20, 10, 20].map((v) => Math.fround(v * Math.fround(1 / 255))),
  );
});

test('a crop larger than the image pads with zeros (normalised), the image centred', () => {
  const config: PreprocessConfig = {
    ...parsePreprocessorConfig({}),
    doResize: false,
    cropHeight: 4,
    cropWidth: 5,
  };
  const white = new Uint8Array(2 * 2 * 3).fill(255);
  const out = new Float32Array(tensorLength(config));
  pixelsToTensor({data: white, width: 2, height: 2}, config, out, 0);
  const red = out.subarray(0, 20);
  const zero = red[0]!;
  const one = red[1 * 5 + 1]!;
  assert.ok(Math.abs(zero - -0.48145466 / 0.26862954) < 1e-6, `padding is normalised zero, found ${zero}`);
  assert.ok(Math.abs(one - (1 - 0.48145466) / 0.26862954) < 1e-6, `image is normalised 255, found ${one}`);
  // torchvision backend: (5 - 2) // 2 = 1 column and (4 - 2) // 2 = 1 row of padding before the image.
  const expected = [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0].map((v) => (v ? one : zero));
  assert.deepEqual([...red], expected);
  // transformers' numpy center_crop (PIL backend) puts the odd padding column before the image instead.
  pixelsToTensor({data: white, width: 2, height: 2}, {...config, resampler: 'pil'}, out, 0);
  const pilRow = [...out.subarray(5, 10)].map((v) => (v > 1 ? 1 : 0));
  assert.deepEqual(pilRow, [0, 0, 1, 1, 0]);
});
