/** Inference thread of the overlap experiment: one session with the tuning options under test. */
import {parentPort, workerData} from 'node:worker_threads';
import {openSession, type SessionOptions} from '../../source/core/runtime/onnx.js';

const {modelPath, session: tuning} = workerData as {modelPath: string; session: SessionOptions};
const session = await openSession(modelPath, tuning);
const inputName = session.inputs[0]?.name ?? 'pixel_values';
parentPort?.on('message', async (request: {data: Float32Array; count: number} | null) => {
  if (request === null) {
    await session.release();
    parentPort?.close();
    return;
  }
  const started = performance.now();
  await session.run({
    [inputName]: {type: 'float32', data: request.data, dims: [request.count, 3, 224, 224]},
  });
  parentPort?.postMessage({ms: performance.now() - started});
});
parentPort?.postMessage({opened: true});
