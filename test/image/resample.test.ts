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
    const full = resizeTo(150, 240, resampler);
    const whole = new Float32Array(tensorLength(full));
    pixelsToTensor(image, full, whole, 0);
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
