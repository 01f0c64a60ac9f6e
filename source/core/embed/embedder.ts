/**
 * A reusable image embedder: one model folder, one or more inference workers (each a long-lived session),
 * preprocessing on worker threads. The embed pipeline, validation spot-checks, `search --image` and the REST API
 * share it.
 */

import {availableParallelism} from 'node:os';
import {describeError, UserError} from '../errors.js';
import {PREPROCESS_VERSION, preprocessImageInto, tensorLength} from '../image/clip-preprocess.js';
import {type Dtype, type ModelFolder, modelFileFor, openModelFolder} from '../model/model-folder.js';
import type {SessionTuning} from '../runtime/inference-client.js';
import {assertDeviceAvailable, DEVICES, type Device} from '../runtime/onnx.js';
import {DEFAULT_BATCH_SIZE, defaultBatchSize} from './batch-size.js';
import {mapWithConcurrency} from './concurrency.js';
import {imageShape, pickTensor} from './graph-io.js';
import {createPreprocessPool, defaultPreprocessWorkers, type PreprocessPool} from './preprocess-pool.js';
import {openSessionPool, type SessionPool} from './session-pool.js';
import {createTensorSlots} from './tensor-slots.js';

export type EmbedResult =
  | {id: string; ok: true; vector: Float32Array}
  | {id: string; ok: false; reason: string};

export interface EmbedInput {
  id: string;
  data: Uint8Array | string;
}

/** A batch whose pixels are ready for the model: the tensor holds only the items that decoded. */
export interface PreparedBatch {
  /** Every input in order; `ok: false` ones failed preprocessing. */
  items: ({id: string; ok: true} | {id: string; ok: false; reason: string})[];
  tensor: Float32Array;
  count: number;
  preprocessMs: number;
}

export interface Embedder {
  dims: number;
  modelName: string;
  dtype: Dtype;
  device: Device;
  /** Absolute model folder, and the graph file inside it (e.g. onnx/vision_model.onnx). */
  modelDir: string;
  modelFile: string;
  preprocessVersion: string;
  /** Intra-op threads of all sessions together. */
  intraOpThreads: number;
  /** Inference sessions (worker threads); `infer` runs up to this many batches at once. */
  sessions: number;
  /** Preprocessing worker threads (0: preprocessing runs on the calling thread). */
  preprocessWorkers: number;
  batchSize: number;
  loadMs: number;
  embedFiles(inputs: EmbedInput[], signal?: AbortSignal): Promise<EmbedResult[]>;
  /** Decodes and preprocesses inputs into one tensor (failures are data, not exceptions). */
  prepare(inputs: EmbedInput[]): Promise<PreparedBatch>;
  /** Runs a prepared batch through the model; vectors are L2-normalised. */
  infer(batch: PreparedBatch): Promise<{results: EmbedResult[]; inferenceMs: number}>;
  close(): Promise<void>;
}

export interface EmbedderOptions {
  model: string;
  modelsDir: string;
  dtype: Dtype;
  device: Device;
  /** Images per batch (default: 8, or 16 with 12 or more threads; see batch-size.ts). */
  batchSize?: number;
  /** Intra-op threads for inference, over all sessions; default: the cores available to this process. */
  threads?: number;
  /** Inference sessions, each in its own worker thread with its share of `threads` (default 1). */
  sessions?: number;
  /**
   * Preprocessing worker threads (default: one per four inference threads, at least 1, at most 8). 0 preprocesses
   * on the calling thread, which then stalls for the reference resampler's work (tens to hundreds of ms per large image).
   */
  preprocessWorkers?: number;
  /** onnxruntime session tuning (spinning, arena, pre-packing); defaults are onnxruntime's. */
  tuning?: SessionTuning;
}

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new UserError(
    `unknown device '${value}'`,
    `use --device ${DEVICES.join(' | ')} (cpu works everywhere)`,
  );
}

export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0)
    for (let index = 0; index < vector.length; index++) vector[index] = (vector[index] ?? 0) / norm;
  return vector;
}

export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const started = performance.now();
  const device = options.device;
  assertDeviceAvailable(device);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1)
    throw new UserError(
      `threads must be a positive integer, got ${threads}`,
      'leave --threads out to use every core',
    );
  const batchSize = options.batchSize ?? defaultBatchSize(threads);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UserError(
      `batch size must be a positive integer, got ${batchSize}`,
      `use --batch-size ${DEFAULT_BATCH_SIZE}`,
    );
  const sessions = options.sessions ?? 1;
  if (!Number.isInteger(sessions) || sessions < 1 || sessions > threads)
    throw new UserError(
      `sessions must be a whole number from 1 to the thread count (${threads}), got ${sessions}`,
      'each session needs at least one thread: lower --sessions, or leave it out',
    );
  const folder = await openModelFolder(options.model, {modelsDir: options.modelsDir, dtype: options.dtype});
  const modelPath = folder.visionModelPath(options.dtype);
  const workers = options.preprocessWorkers ?? defaultPreprocessWorkers(threads);
  // The workers start while the sessions load, which is mostly one thread's work (starting one takes ~0.1 s).
  const preprocess = workers > 0 ? createPreprocessPool(folder.preprocess, workers) : undefined;
  const [opening, starting] = await Promise.allSettled([
    openSessionPool(modelPath, {device, threads, sessions, tuning: options.tuning}),
    preprocess?.ready,
  ]);
  try {
    if (opening.status === 'rejected') throw opening.reason;
    if (starting.status === 'rejected') throw starting.reason;
    return await wrapSession(opening.value, preprocess, folder, options, {threads, batchSize, started});
  } catch (error) {
    await Promise.all([
      opening.status === 'fulfilled' ? opening.value.close() : undefined,
      preprocess?.close(),
    ]);
    throw error;
  }
}

async function wrapSession(
  sessions: SessionPool,
  preprocess: PreprocessPool | undefined,
  folder: ModelFolder,
  options: EmbedderOptions,
  settings: {threads: number; batchSize: number; started: number},
): Promise<Embedder> {
  const {threads, batchSize, started} = settings;
  const device = options.device;
  const input = pickTensor(sessions.inputs, 'pixel_values', 'input');
  const output = pickTensor(sessions.outputs, 'image_embeds', 'output');
  const perImage = tensorLength(folder.preprocess);
  const [channels, height, width] = imageShape(input, folder.preprocess);
  const preprocessInto = async (item: EmbedInput, tensor: Float32Array, offset: number): Promise<void> => {
    if (!preprocess) {
      await preprocessImageInto(item.data, folder.preprocess, tensor, offset);
      return;
    }
    const result = await preprocess.preprocessInto(item.data, tensor, offset);
    if (!result.ok) throw new Error(result.reason);
  };
  // One tensor per batch in inference, one for the batch being prepared.
  const slots = createTensorSlots(batchSize * perImage, sessions.size + 1);

  const prepare = async (inputs: EmbedInput[]): Promise<PreparedBatch> => {
    const begin = performance.now();
    // A batch larger than batchSize (a caller's choice) gets a one-off tensor.
    const tensor =
      inputs.length <= batchSize
        ? slots.acquire()
        : new Float32Array(new SharedArrayBuffer(inputs.length * perImage * 4));
    // Enough in flight to keep every worker busy (two on the calling thread, where decoding is off-thread).
    const reasons = await mapWithConcurrency(inputs, preprocess?.size ?? 2, async (item, slot) => {
      try {
        await preprocessInto(item, tensor, slot * perImage);
        return undefined;
      } catch (error) {
        return describeError(error);
      }
    });
    // Compact: decoded images first, in input order, with no gaps.
    let count = 0;
    const items: PreparedBatch['items'] = inputs.map((item, slot) => {
      const reason = reasons[slot];
      if (reason !== undefined) return {id: item.id, ok: false, reason};
      if (slot !== count) tensor.copyWithin(count * perImage, slot * perImage, (slot + 1) * perImage);
      count++;
      return {id: item.id, ok: true};
    });
    return {
      items,
      tensor: tensor.subarray(0, count * perImage),
      count,
      preprocessMs: performance.now() - begin,
    };
  };

  let dims = typeof output.shape[1] === 'number' && output.shape[1] > 0 ? output.shape[1] : 0;

  const infer = async (batch: PreparedBatch): Promise<{results: EmbedResult[]; inferenceMs: number}> => {
    let vectors: Float32Array | undefined;
    let inferenceMs = 0;
    try {
      if (batch.count > 0) {
        const result = await sessions.run(input.name, output.name, batch.tensor, [
          batch.count,
          channels,
          height,
          width,
        ]);
        inferenceMs = result.ms;
        dims = result.dims[1] ?? 0;
        vectors = result.data;
      }
    } finally {
      slots.release(batch.tensor);
    }
    let row = 0;
    const results = batch.items.map((item): EmbedResult => {
      if (!item.ok) return item;
      const vector = l2Normalise((vectors as Float32Array).slice(row * dims, (row + 1) * dims));
      row++;
      return {id: item.id, ok: true, vector};
    });
    return {results, inferenceMs};
  };

  if (dims === 0) {
    // The graph leaves the embedding width symbolic: learn it from one run on a blank image.
    const probe = {items: [{id: 'probe', ok: true as const}], tensor: new Float32Array(perImage), count: 1};
    await infer({...probe, preprocessMs: 0});
  }

  return {
    get dims() {
      return dims;
    },
    modelName: folder.name,
    dtype: options.dtype,
    device,
    modelDir: folder.dir,
    modelFile: modelFileFor('vision', options.dtype),
    preprocessVersion: PREPROCESS_VERSION,
    intraOpThreads: threads,
    sessions: sessions.size,
    preprocessWorkers: preprocess?.size ?? 0,
    batchSize,
    loadMs: performance.now() - started,
    prepare,
    infer,
    async embedFiles(inputs, signal) {
      const results: EmbedResult[] = [];
      for (let start = 0; start < inputs.length; start += batchSize) {
        signal?.throwIfAborted();
        const prepared = await prepare(inputs.slice(start, start + batchSize));
        results.push(...(await infer(prepared)).results);
      }
      return results;
    },
    async close() {
      await Promise.all([sessions.close(), preprocess?.close()]);
    },
  };
}
