import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  type PreprocessConfig,
  parsePreprocessorConfig,
  pixelsToTensor,
  tensorLength,
} from '../../source/core/image/clip-preprocess.js';

/** Raw uint8 values out (no rescale, no normalise), so tests can compare resampled pixels exactly. */
function resizeTo(height: number, width: number, resampler: 'torchvision' | 'pil'): PreprocessConfig {
  const config = parsePreprocessorConfig({size: {height, width}, do_center_crop: false});
  return {...config, doRescale: false, doNormalize: false, resampler};
}

function randomImage(width: number, height: number, seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({length: width * height * 3}, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
}

/** The whole image resized (no crop) as raw uint8 values, and the config that made it. */
function resizeWhole(
  image: {data: Uint8Array; width: number; height: number},
  height: number,
  width: number,
  resampler: 'torchvision' | 'pil',
): {config: PreprocessConfig; tensor: Float32Array} {
  const config = resizeTo(height, width, resampler);
  const tensor = new Float32Array(tensorLength(config));
  pixelsToTensor(image, config, tensor, 0);
  return {config, tensor};
}

function transpose(data: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      out.set(data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3), (x * height + y) * 3);
  }
  return out;
}

test('one-axis resizes agree with their transposes (vertical-only and horizontal-only passes)', () => {
  for (const resampler of ['torchvision', 'pil'] as const) {
    for (const [from, to] of [
      [40, 97], // upscale
      [300, 71], // downscale with antialiasing
    ] as const) {
      const image = randomImage(50, from, from);
      const vertical = resizeTo(to, 50, resampler);
      const down = new Float32Array(tensorLength(vertical));
      pixelsToTensor({data: image, width: 50, height: from}, vertical, down, 0);
      const horizontal = resizeTo(50, to, resampler);
      const across = new Float32Array(tensorLength(horizontal));
      pixelsToTensor({data: transpose(image, 50, from), width: from, height: 50}, horizontal, across, 0);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < to; y++) {
          for (let x = 0; x < 50; x++) {
            const a = down[c * to * 50 + y * 50 + x];
            const b = across[c * to * 50 + x * to + y];
            assert.equal(a, b, `${resampler} ${from}->${to} channel ${c} at ${x},${y}`);
          }
        }
      }
    }
  }
});

test('a centre-cropped window equals the same region of the full resize', () => {
  for (const resampler of ['torchvision', 'pil'] as const) {
    const image = {data: randomImage(97, 61, 7), width: 97, height: 61};
    const {config: full, tensor: whole} = resizeWhole(image, 150, 240, resampler);
    const cropped: PreprocessConfig = {...full, doCenterCrop: true, cropHeight: 101, cropWidth: 33};
    const window = new Float32Array(tensorLength(cropped));
    pixelsToTensor(image, cropped, window, 0);
    const top = Math.floor((150 - 101) / 2);
    const left = Math.floor((240 - 33) / 2);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 101; y++) {
        for (let x = 0; x < 33; x++) {
          assert.equal(window[c * 101 * 33 + y * 33 + x], whole[c * 150 * 240 + (y + top) * 240 + x + left]);
        }
      }
    }
  }
});

test('a crop larger than the resized image is zero-padded around it (floor offsets for torchvision, ceiling for PIL)', () => {
  for (const resampler of ['torchvision', 'pil'] as const) {
    const image = {data: randomImage(97, 61, 9), width: 97, height: 61};
    const {config: full, tensor: whole} = resizeWhole(image, 30, 40, resampler);
    const padded: PreprocessConfig = {...full, doCenterCrop: true, cropHeight: 35, cropWidth: 45};
    // NaN everywhere first, so a padding value never written shows up (the identity table's zero would not).
    const tensor = new Float32Array(tensorLength(padded) + 10).fill(Number.NaN);
    pixelsToTensor(image, padded, tensor, 5);
    const before = resampler === 'pil' ? 3 : 2; // (35 - 30) / 2 and (45 - 40) / 2, rounded down or up
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 35; y++) {
        for (let x = 0; x < 45; x++) {
          const inside = y >= before && y < before + 30 && x >= before && x < before + 40;
          const expected = inside ? whole[c * 30 * 40 + (y - before) * 40 + (x - before)] : 0;
          assert.equal(tensor[5 + c * 35 * 45 + y * 45 + x], expected, `${resampler} c${c} ${x},${y}`);
        }
      }
    }
    assert.ok(Number.isNaN(tensor[4]!) && Number.isNaN(tensor[5 + tensorLength(padded)]!), 'wrote outside');
  }
});

test('an image already at the resize size is cropped straight from its pixels', () => {
  const data = randomImage(97, 61, 11);
  const config: PreprocessConfig = {
    ...resizeTo(61, 97, 'torchvision'),
    doCenterCrop: true,
    cropHeight: 21,
    cropWidth: 50,
  };
  const tensor = new Float32Array(tensorLength(config));
  pixelsToTensor({data, width: 97, height: 61}, config, tensor, 0);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 21; y++) {
      for (let x = 0; x < 50; x++) {
        assert.equal(tensor[c * 21 * 50 + y * 50 + x], data[((y + 20) * 97 + x + 23) * 3 + c]);
      }
    }
  }
});
