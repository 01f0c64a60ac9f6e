/**
 * Worker thread that owns one ONNX session. onnxruntime-node runs `session.run` synchronously on the thread that
 * calls it, so running it here keeps the main thread's event loop (UI, downloads, servers) live.
 * Protocol: see inference-client.ts (the only user of this file).
 */
import {parentPort, workerData} from 'node:worker_threads';
import {describeError, isUserError} from '../errors.js';
import type {InferenceRequest, InferenceResponse, InferenceWorkerData} from './inference-client.js';
import {type OnnxSession, openSession} from './onnx.js';

const port = parentPort;
if (!port) throw new Error('inference-worker.ts must run in a worker thread');
const data = workerData as InferenceWorkerData;

function send(message: InferenceResponse, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function errorPayload(error: unknown): {message: string; hint?: string; user: boolean} {
  if (isUserError(error)) return {message: error.message, hint: error.hint, user: true};
  return {
    message: error instanceof Error ? (error.stack ?? error.message) : describeError(error),
    user: false,
  };
}

// onnxruntime-node refuses tensors in shared memory, so shared inputs are copied into one reused buffer here.
let inputBuffer = new Float32Array(0);
function ownMemory(data: Float32Array): Float32Array {
  if (!(data.buffer instanceof SharedArrayBuffer)) return data;
  if (inputBuffer.length < data.length) inputBuffer = new Float32Array(data.length);
  const view = inputBuffer.subarray(0, data.length);
  view.set(data);
  return view;
}

let session: OnnxSession | undefined;
try {
  session = await openSession(data.modelPath, {
    ...data.tuning,
    device: data.device,
    intraOpThreads: data.threads,
  });
  send({type: 'opened', inputs: session.inputs, outputs: session.outputs});
} catch (error) {
  send({type: 'open-failed', error: errorPayload(error)});
}

port.on('message', async (request: InferenceRequest) => {
  if (request.type === 'close') {
    await session?.release();
    session = undefined;
    port.close();
    return;
  }
  if (!session) return;
  const started = performance.now();
  try {
    const outputs = await session.run({
      [request.inputName]: {type: 'float32', data: ownMemory(request.data), dims: request.dims},
    });
    const output = outputs[request.outputName];
    if (!output) throw new Error(`model has no output '${request.outputName}'`);
    // Copy into a buffer we own, so it can be transferred rather than cloned.
    const result = new Float32Array(output.data);
    send({type: 'result', id: request.id, data: result, dims: output.dims, ms: performance.now() - started}, [
      result.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    send({type: 'run-failed', id: request.id, error: errorPayload(error)});
  }
});
