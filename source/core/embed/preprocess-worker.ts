/**
 * Worker thread that decodes and preprocesses images. Preprocessing is CPU-heavy JavaScript (the reference
 * resampler) that would otherwise stall the main thread's event loop for tens to hundreds of ms per large image.
 */
import {parentPort, workerData} from 'node:worker_threads';
import {describeError} from '../errors.js';
import {type PreprocessConfig, preprocessImage} from '../image/clip-preprocess.js';
import {configureImageThreads} from '../image/sharp-image.js';
import type {PreprocessRequest, PreprocessResponse} from './preprocess-pool.js';

const port = parentPort;
if (!port) throw new Error('preprocess-worker.ts must run in a worker thread');
const config = (workerData as {config: PreprocessConfig}).config;
// libvips' pool is per process; decoding one image needs no parallelism, and extra threads only fight
// onnxruntime's intra-op threads for the cores.
configureImageThreads(1);

port.postMessage({ready: true});

port.on('message', async (request: PreprocessRequest) => {
  let response: PreprocessResponse;
  try {
    const tensor = await preprocessImage(request.data, config, {pixelLimit: request.pixelLimit});
    response = {id: request.id, ok: true, tensor};
    port.postMessage(response, [tensor.buffer as ArrayBuffer]);
  } catch (error) {
    response = {id: request.id, ok: false, reason: describeError(error)};
    port.postMessage(response);
  }
});
