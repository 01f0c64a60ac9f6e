/**
 * Experiment, not a contender: the smallest decode-ahead pipeline (inference on a worker thread, batch k+1
 * preprocessed on the main thread with our preprocessImageInto while batch k runs), with the knobs that decide
 * how well the two overlap on few cores: ORT spinning, libvips threads, batch size, memory options.
 */

import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {Worker} from 'node:worker_threads';
import sharp from 'sharp';
import {parsePreprocessorConfig, preprocessImageInto} from '../../source/core/image/clip-preprocess.js';
import type {SessionOptions} from '../../source/core/runtime/onnx.js';
import {childMain, peakRssMb} from '../child-process.js';
import {PIXELS_PER_IMAGE} from '../fidelity.js';

export interface OverlapInput {
  modelDir: string;
  graph: string;
  images: string[];
  batchSize: number;
  session: SessionOptions;
  sharpConcurrency: number;
  sharpCache: boolean;
  /** Inference workers, each with its own session of session.intraOpThreads threads (default 1). */
  sessions?: number;
}

export interface OverlapResult {
  images: number;
  imagesPerSecond: number;
  inferenceSeconds: number;
  seconds: number;
  peakRssMb: number;
}

function startWorker(modelPath: string, session: SessionOptions): Worker {
  const url = new URL('./overlap-worker.ts', import.meta.url);
  const bootstrap = `import('tsx/esm/api').then(({register}) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, {eval: true, workerData: {modelPath, session}});
}

await childMain<OverlapInput, OverlapResult>(async (input) => {
  sharp.concurrency(input.sharpConcurrency);
  if (!input.sharpCache) sharp.cache(false);
  const config = parsePreprocessorConfig(
    JSON.parse(await readFile(join(input.modelDir, 'preprocessor_config.json'), 'utf8')),
  );
  const workers = Array.from({length: input.sessions ?? 1}, () =>
    startWorker(join(input.modelDir, 'onnx', input.graph), input.session),
  );
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
  const prepare = async (start: number) => {
    const paths = input.images.slice(start, start + input.batchSize);
    const tensor = new Float32Array(paths.length * PIXELS_PER_IMAGE);
    for (const [index, path] of paths.entries()) {
      await preprocessImageInto(await readFile(path), config, tensor, index * PIXELS_PER_IMAGE);
    }
    return {data: tensor, count: paths.length};
  };
  const infer = (worker: Worker, batch: {data: Float32Array; count: number}) =>
    new Promise<number>((resolve) => {
      worker.once('message', (message: {ms: number}) => resolve(message.ms));
      worker.postMessage(batch, [batch.data.buffer as ArrayBuffer]);
    });
  const started = performance.now();
  let inferenceMs = 0;
  // Every worker gets a batch as soon as it is free; the main thread prepares the next one meanwhile.
  const idle = [...workers];
  const running = new Set<Promise<void>>();
  for (let start = 0; start < input.images.length; start += input.batchSize) {
    const ready = await prepare(start);
    if (idle.length === 0) await Promise.race(running);
    const worker = idle.pop() as Worker;
    const run: Promise<void> = infer(worker, ready).then((ms) => {
      inferenceMs += ms;
      idle.push(worker);
      running.delete(run);
    });
    running.add(run);
  }
  await Promise.all(running);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(
    workers.map((worker) => {
      worker.postMessage(null);
      return new Promise((resolve) => worker.once('exit', resolve));
    }),
  );
  return {
    images: input.images.length,
    imagesPerSecond: input.images.length / seconds,
    inferenceSeconds: inferenceMs / 1000,
    seconds,
    peakRssMb: peakRssMb(),
  };
});
