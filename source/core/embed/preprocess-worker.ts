/**
 * Worker thread that decodes and preprocesses images. Preprocessing is CPU-heavy JavaScript (the reference
 * resampler) that would otherwise stall the main thread's event loop for tens to hundreds of ms per large image.
 */
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import {parentPort, workerData} from 'node:worker_threads';
import {describeError} from '../errors.js';
import {type DecodeMode, type PreprocessConfig, preprocessImageInto} from '../image/clip-preprocess.js';
import {configureImageThreads} from '../image/sharp-image.js';
import {jpegDecoderStatus} from '../image/turbojpeg.js';
import type {PreprocessRequest, PreprocessResponse} from './preprocess-pool.js';

const port = parentPort;
if (!port) throw new Error('preprocess-worker.ts must run in a worker thread');
const {config, decode} = workerData as {config: PreprocessConfig; decode?: DecodeMode};
// libvips' pool is per process; decoding one image needs no parallelism, and extra threads only fight
// onnxruntime's intra-op threads for the cores.
configureImageThreads(1);

/**
 * Decoded pixels (9 MB for a 2000x1500 photo) live outside the JS heap and this thread allocates little else, so
 * V8 collects the dead ones late and they pile up across a run of large images. A young-generation collection
 * after every DECODED_PER_COLLECTION bytes frees them promptly (measured: 17 MB lower peak RSS over the bench's
 * images at 16 MB; 4 MB took another 5-10 MB off one worker's peak and ~40 MB off four workers', with no CPU
 * cost the clock could see); it costs well under a millisecond. `--expose-gc` only adds the gc function to new
 * contexts.
 */
const DECODED_PER_COLLECTION = 4 * 2 ** 20;
setFlagsFromString('--expose-gc');
const collectYoung = runInNewContext('gc') as ((options: {type: 'minor'}) => void) | undefined;
let decodedSinceCollection = 0;

// Load libturbojpeg (and koffi) now, before saying ready: the pool never terminates a worker that is starting,
// and a worker terminated while koffi's native module initialises takes the whole process down (seen in CI:
// "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw").
jpegDecoderStatus();
port.postMessage({ready: true});

port.on('message', async (request: PreprocessRequest) => {
  let response: PreprocessResponse;
  try {
    // The target is shared memory: the pixels land in the caller's batch tensor directly.
    const {decodedBytes, phash} = await preprocessImageInto(
      request.data,
      config,
      request.target,
      request.offset,
      {
        pixelLimit: request.pixelLimit,
        decode,
      },
    );
    decodedSinceCollection += decodedBytes;
    response = {id: request.id, ok: true, phash};
  } catch (error) {
    response = {id: request.id, ok: false, reason: describeError(error)};
  }
  port.postMessage(response);
  if (decodedSinceCollection >= DECODED_PER_COLLECTION && collectYoung) {
    decodedSinceCollection = 0;
    collectYoung({type: 'minor'});
  }
});
