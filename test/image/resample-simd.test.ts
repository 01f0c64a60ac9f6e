import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';
import {resampleRgbWindow} from '../../source/core/image/resample.js';
import {PIL_RESAMPLE} from '../../source/core/image/resample-coefficients.js';
import {
  resampleSimdAvailable,
  resampleSimdMemoryBytes,
  resampleWindowSimd,
} from '../../source/core/image/resample-simd.js';
import {seededRandom} from '../../source/core/random.js';

function randomImage(width: number, height: number, seed: number) {
  const random = seededRandom(seed);
  const data = new Uint8Array(width * height * 3);
  // Hard edges as well as noise, so clamping at 0 and 255 (bicubic overshoot) is exercised.
  for (let index = 0; index < data.length; index++)
    data[index] = random() < 0.2 ? (random() < 0.5 ? 0 : 255) : Math.floor(random() * 256);
  return {data, width, height};
}

const CASES: [number, number, number, number][] = [
  [2000, 1500, 298, 224], // large downscale, both axes
  [640, 480, 298, 224],
  [50, 40, 280, 224], // upscale both axes
  [1023, 511, 448, 224],
  [300, 224, 131, 224], // width only
  [224, 500, 224, 100], // height only
  [301, 7, 40, 3], // small and odd
  [301, 7, 6, 3], // rows of 18 bytes (one 16-byte chunk moved back), and a 9-byte window (JavaScript)
];

test('the WebAssembly SIMD resampler gives the JavaScript reference port byte for byte', () => {
  for (const [index, [width, height, outWidth, outHeight]] of CASES.entries()) {
    const image = randomImage(width, height, 1000 + index);
    for (const resample of [PIL_RESAMPLE.bicubic, PIL_RESAMPLE.bilinear]) {
      // The full image, and an off-centre window of it.
      const windows = [
        {top: 0, left: 0, rows: outHeight, columns: outWidth},
        {
          top: Math.floor(outHeight / 3),
          left: Math.floor(outWidth / 4),
          rows: Math.ceil(outHeight / 2),
          columns: Math.ceil(outWidth / 2),
        },
      ];
      for (const window of windows) {
        const label = `${width}x${height} -> ${outWidth}x${outHeight}, filter ${resample}, window ${JSON.stringify(window)}`;
        const reference = Uint8Array.from(
          resampleRgbWindow(image, outWidth, outHeight, resample, 'torchvision', window, false).subarray(
            0,
            window.rows * window.columns * 3,
          ),
        );
        const fast = Uint8Array.from(
          resampleRgbWindow(image, outWidth, outHeight, resample, 'torchvision', window).subarray(
            0,
            window.rows * window.columns * 3,
          ),
        );
        assert.deepEqual(fast, reference, label);
      }
    }
  }
});

test('the SIMD kernels load on this Node, so the comparison above compared two different implementations', () => {
  assert.equal(resampleSimdAvailable(), true);
  const image = randomImage(64, 48, 7);
  const window = {top: 0, left: 0, rows: 24, columns: 32};
  assert.equal(resampleWindowSimd(image, null, null, window, new Uint8ClampedArray(24 * 32 * 3)), false);
});

test('the committed WebAssembly module is the one resample-simd.wat assembles to', async () => {
  const {assemble} = await import('../../scripts/build-wasm.mjs');
  const committed = await readFile(
    new URL('../../source/core/image/resample-simd-wasm.ts', import.meta.url),
    'utf8',
  );
  assert.equal(committed, await assemble(), 'run node scripts/build-wasm.mjs after editing the .wat');
});

function bicubicWindow(image: ReturnType<typeof randomImage>, simd: boolean): Uint8Array {
  const window = {top: 0, left: 0, rows: 224, columns: 224};
  return Uint8Array.from(
    resampleRgbWindow(image, 224, 224, PIL_RESAMPLE.bicubic, 'torchvision', window, simd).subarray(
      0,
      224 * 224 * 3,
    ),
  );
}

test('a 4700x4700 image passes through a few MB of WebAssembly memory (read in strips, never copied whole)', () => {
  const big = randomImage(4700, 4700, 11);
  assert.deepEqual(bicubicWindow(big, true), bicubicWindow(big, false));
  // 66 MB of pixels; the module holds the horizontal pass's 4700 x 224 output (3.2 MB) and a 256 KB strip.
  const held = resampleSimdMemoryBytes();
  assert.ok(held > 0 && held < 5 * 2 ** 20, `${held} bytes`);
});

test('after an image needing more WebAssembly memory than is kept, the module starts afresh and stays exact', () => {
  // 30,000 rows squashed to 224: the intermediate (30,000 x 224 pixels) is 20 MB, over the 16 MB kept.
  const tall = randomImage(300, 30_000, 13);
  assert.deepEqual(bicubicWindow(tall, true), bicubicWindow(tall, false));
  assert.equal(resampleSimdMemoryBytes(), 0, 'instance dropped');
  const small = randomImage(640, 480, 12);
  assert.deepEqual(bicubicWindow(small, true), bicubicWindow(small, false));
  assert.ok(resampleSimdMemoryBytes() < 2 ** 20);
});
