/**
 * Main-thread handle on an inference worker: one worker thread, one long-lived ONNX session, requests answered
 * in order. Tensors are shared or transferred (not copied) both ways.
 */
import type {Worker} from 'node:worker_threads';
import {UserError} from '../errors.js';
import type {Device, SessionOptions, TensorInfo} from './onnx.js';
import {startModuleWorker} from './start-worker.js';

/** Session tuning passed through to onnx.ts (see SessionOptions there). */
export type SessionTuning = Pick<SessionOptions, 'allowSpinning' | 'memoryArena' | 'prepacking'>;

export interface InferenceWorkerData {
  modelPath: string;
  device: Device;
  threads: number;
  tuning: SessionTuning;
}

export type InferenceRequest =
  | {type: 'run'; id: number; inputName: string; outputName: string; data: Float32Array; dims: number[]}
  | {type: 'close'};

interface WorkerError {
  message: string;
  hint?: string;
  user: boolean;
}

export type InferenceResponse =
  | {type: 'opened'; inputs: TensorInfo[]; outputs: TensorInfo[]}
  | {type: 'open-failed'; error: WorkerError}
  | {type: 'result'; id: number; data: Float32Array; dims: number[]; ms: number}
  | {type: 'run-failed'; id: number; error: WorkerError};

export interface InferenceResult {
  data: Float32Array;
  dims: number[];
  /** Time spent inside session.run, in the worker. */
  ms: number;
}

export interface InferenceClient {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /**
   * Runs the model on one input tensor. A tensor in a SharedArrayBuffer is read in place (keep it unchanged until
   * the promise settles); any other is transferred to the worker (unusable afterwards).
   */
  run(inputName: string, outputName: string, data: Float32Array, dims: number[]): Promise<InferenceResult>;
  close(): Promise<void>;
}

function toError(error: WorkerError): Error {
  return error.user ? new UserError(error.message, error.hint) : new Error(error.message);
}

function waitUntilOpened(worker: Worker): Promise<{inputs: TensorInfo[]; outputs: TensorInfo[]}> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: InferenceResponse) => {
      if (message.type !== 'opened' && message.type !== 'open-failed') return;
      settle();
      if (message.type === 'opened') resolve(message);
      else reject(toError(message.error));
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onExit = (code: number) => {
      settle();
      reject(new Error(`inference worker exited (code ${code}) while loading`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

export async function openInferenceWorker(
  modelPath: string,
  options: {device: Device; threads: number; tuning?: SessionTuning},
): Promise<InferenceClient> {
  const worker = startModuleWorker(import.meta.url, './inference-worker', {
    modelPath,
    device: options.device,
    threads: options.threads,
    tuning: options.tuning ?? {},
  });
  const pending = new Map<
    number,
    {resolve: (result: InferenceResult) => void; reject: (error: Error) => void}
  >();
  let nextId = 1;
  let failure: Error | undefined;

  const failAll = (error: Error) => {
    failure ??= error;
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  };

  const opened = await waitUntilOpened(worker).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });

  worker.on('message', (message: InferenceResponse) => {
    if (message.type !== 'result' && message.type !== 'run-failed') return;
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    if (message.type === 'result') entry.resolve({data: message.data, dims: message.dims, ms: message.ms});
    else entry.reject(toError(message.error));
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`inference worker exited (code ${code})`)));

  let closed = false;
  return {
    inputs: opened.inputs,
    outputs: opened.outputs,
    run(inputName, outputName, data, dims) {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new Error('inference worker is closed'));
      const id = nextId++;
      // Shared memory is posted as is (the caller keeps it until this resolves); otherwise the tensor is
      // transferred, and transfer moves a whole ArrayBuffer: hand over one that holds exactly this tensor.
      const shared = data.buffer instanceof SharedArrayBuffer;
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const sent = shared || whole ? data : data.slice();
      return new Promise<InferenceResult>((resolve, reject) => {
        pending.set(id, {resolve, reject});
        const request: InferenceRequest = {type: 'run', id, inputName, outputName, data: sent, dims};
        worker.postMessage(request, shared ? [] : [sent.buffer as ArrayBuffer]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({type: 'close'} satisfies InferenceRequest);
      // The worker releases its session and exits; terminate if it does not within a moment.
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
