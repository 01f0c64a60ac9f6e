import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';
import {gunzipSync} from 'node:zlib';
import {parseNpy, readFloat32Matrix} from '../../source/core/npy.js';
import {openInferenceWorker} from '../../source/core/runtime/inference-client.js';
import {cosine} from '../embed/helpers.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const visionModel = new URL('tiny-clip/onnx/vision_model.onnx', fixtures).pathname;
const IMAGE = 3 * 224 * 224;

async function golden(name: string) {
  return readFloat32Matrix(await readFile(new URL(`golden/${name}`, fixtures)));
}

test('the worker session reproduces the golden embeddings from the golden pixel values', async (t) => {
  const pixelArray = parseNpy(gunzipSync(await readFile(new URL('golden/pixel_values.npy.gz', fixtures))));
  assert.deepEqual(pixelArray.shape, [8, 3, 224, 224]);
  const pixels = {data: new Float32Array(new Uint8Array(pixelArray.payload).buffer)};
  const embeds = await golden('image_embeds.npy');
  const client = await openInferenceWorker(visionModel, {device: 'cpu', threads: 2});
  try {
    assert.deepEqual(client.inputs[0]?.shape, ['batch_size', 3, 224, 224]);
    const batch = await client.run('pixel_values', 'image_embeds', pixels.data.slice(), [8, 3, 224, 224]);
    assert.deepEqual(batch.dims, [8, 512]);
    let worstDiff = 0;
    for (let i = 0; i < batch.data.length; i++)
      worstDiff = Math.max(worstDiff, Math.abs((batch.data[i] ?? 0) - (embeds.data[i] ?? 0)));
    t.diagnostic(`max abs diff vs golden image_embeds: ${worstDiff.toExponential(2)}`);
    assert.ok(worstDiff < 1e-4, `max abs diff ${worstDiff}`);
    // Batch of 1 equals batch of 8, row by row.
    for (let row = 0; row < 8; row++) {
      const one = await client.run(
        'pixel_values',
        'image_embeds',
        pixels.data.slice(row * IMAGE, (row + 1) * IMAGE),
        [1, 3, 224, 224],
      );
      const fromBatch = batch.data.subarray(row * 512, (row + 1) * 512);
      assert.ok(cosine(one.data, fromBatch) > 0.999999, `row ${row}`);
    }
  } finally {
    await client.close();
  }
});

test('inference runs off the main thread: a timer keeps ticking during long runs', async (t) => {
  const client = await openInferenceWorker(visionModel, {device: 'cpu', threads: 1});
  try {
    const rows = 256;
    // Tensors made before the timer starts: allocating them is main-thread work we are not measuring.
    const inputs = [0, 1].map(() => new Float32Array(rows * IMAGE).fill(0.5));
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    let inferenceMs = 0;
    try {
      for (const input of inputs) {
        const result = await client.run('pixel_values', 'image_embeds', input, [rows, 3, 224, 224]);
        inferenceMs = Math.max(inferenceMs, result.ms);
      }
    } finally {
      clearInterval(timer);
    }
    t.diagnostic(
      `longest session.run ${inferenceMs.toFixed(0)} ms; longest timer gap ${maxGap.toFixed(0)} ms`,
    );
    // The bound is generous (busy CI) but below one run: were session.run on this thread, a gap would reach it.
    assert.ok(inferenceMs > 80, 'the run must be long enough to show a stall');
    assert.ok(maxGap < Math.max(60, inferenceMs / 2), `timer stalled for ${maxGap} ms`);
  } finally {
    await client.close();
  }
});

test('a model that cannot load is a UserError, and no worker is left running', async () => {
  await assert.rejects(
    openInferenceWorker(new URL('golden/meta.json', fixtures).pathname, {device: 'cpu', threads: 1}),
    (error: Error) => error.name === 'UserError' && /cannot load ONNX model/.test(error.message),
  );
});
