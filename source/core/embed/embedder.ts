/**
 * A reusable image embedder: one model folder, one or more inference workers (each a long-lived session),
 * preprocessing on worker threads. The embed pipeline, validation spot-checks, `search --image` and the REST API
 * share it. Its two halves, preparing a batch and running it, are preprocess-batch.ts and infer-batch.ts.
 */

import {availableParallelism} from 'node:os';
import {UserError} from '../errors.js';
import {type DecodeMode, preprocessVersion, tensorLength} from '../image/clip-preprocess.js';
import {type Dtype, type ModelFolder, modelFileFor, openModelFolder} from '../model/model-folder.js';
import type {SessionTuning} from '../runtime/inference-client.js';
import {assertDeviceAvailable, type Device} from '../runtime/onnx.js';
import {type AdaptiveSplit, createAdaptiveSplit} from './adaptive-split.js';
import {DEFAULT_BATCH_SIZE, defaultBatchSize} from './batch-size.js';
import {createCoreBudget} from './core-budget.js';
import {createBatchInference, type EmbedResult} from './infer-batch.js';
import {batchPreprocessor, type EmbedInput, type PreparedBatch} from './preprocess-batch.js';
import {createPreprocessPool, defaultPreprocessWorkers, type PreprocessPool} from './preprocess-pool.js';
import {openSessionPool, type SessionPool} from './session-pool.js';
import {maxPreprocessWorkers, PHASES_UP_TO_THREADS, type SplitReport} from './split-controller.js';
import {createTensorSlots} from './tensor-slots.js';

export interface Embedder {
  dims: number;
  modelName: string;
  dtype: Dtype;
  device: Device;
  /** Absolute model folder, and the graph file inside it (e.g. onnx/vision_model.onnx). */
  modelDir: string;
  modelFile: string;
  preprocessVersion: string;
  /** How JPEGs are decoded: exact (the reference's pixels) or fast (reduced DCT scale first). */
  decode: DecodeMode;
  /** Intra-op threads of all sessions together. */
  intraOpThreads: number;
  /** Inference sessions (worker threads); `infer` runs up to this many batches at once. */
  sessions: number;
  /** Preprocessing worker threads now (0: preprocessing runs on the calling thread); the split may change it. */
  readonly preprocessWorkers: number;
  /** How the cores were split between preprocessing and inference so far (split-controller.ts). */
  split(): SplitReport;
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
   * A fixed number of preprocessing worker threads (for measurements; 0 preprocesses on the calling thread, which
   * then stalls for the resampler's work). Default: the adaptive split, starting at defaultPreprocessWorkers and
   * moved by measurement between 1 and maxPreprocessWorkers.
   */
  preprocessWorkers?: number;
  /** Default exact. */
  decode?: DecodeMode;
  /** onnxruntime session tuning (spinning, arena, pre-packing); defaults are onnxruntime's. */
  tuning?: SessionTuning;
}

export {parseDecodeMode, parseDevice} from '../enums.js';

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
  const adaptive = options.preprocessWorkers === undefined;
  const cores = availableParallelism();
  const budget = createCoreBudget(cores, sessions);
  // The workers start while the sessions load, which is mostly one thread's work (starting one takes ~0.1 s).
  const preprocess =
    workers > 0
      ? createPreprocessPool(folder.preprocess, workers, {
          max: adaptive ? Math.max(workers, maxPreprocessWorkers(cores)) : workers,
          budget,
          decode: options.decode,
        })
      : undefined;
  const [opening, starting] = await Promise.allSettled([
    openSessionPool(modelPath, {device, threads, sessions, tuning: options.tuning, budget}),
    preprocess?.ready,
  ]);
  try {
    if (opening.status === 'rejected') throw opening.reason;
    if (starting.status === 'rejected') throw starting.reason;
    // Phases only where a session's threads hold every core of a small machine (measured on 2 cores).
    const phases =
      device === 'cpu' && threads / sessions > 1 && threads >= cores && threads <= PHASES_UP_TO_THREADS;
    const split = createAdaptiveSplit({pool: preprocess, budget, sessions, adaptive, phases});
    return await wrapSession(opening.value, preprocess, folder, options, {
      threads,
      batchSize,
      started,
      split,
    });
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
  settings: {threads: number; batchSize: number; started: number; split: AdaptiveSplit},
): Promise<Embedder> {
  const {threads, batchSize, started, split} = settings;
  const decode = options.decode ?? 'exact';
  const device = options.device;
  const perImage = tensorLength(folder.preprocess);
  // One tensor per batch in inference, one for the batch being prepared.
  const slots = createTensorSlots(batchSize * perImage, sessions.size + 1);
  const prepare = batchPreprocessor(folder.preprocess, preprocess, {batchSize, slots, decode});
  const inference = await createBatchInference(sessions, folder.preprocess, slots);
  const infer: Embedder['infer'] = async (batch) => {
    split.batchStarting(batch.readyAt);
    try {
      return await inference.infer(batch);
    } finally {
      split.batchDone();
    }
  };

  return {
    get dims() {
      return inference.dims;
    },
    modelName: folder.name,
    dtype: options.dtype,
    device,
    modelDir: folder.dir,
    modelFile: modelFileFor('vision', options.dtype),
    preprocessVersion: preprocessVersion(decode),
    decode,
    intraOpThreads: threads,
    sessions: sessions.size,
    get preprocessWorkers() {
      return preprocess?.size ?? 0;
    },
    split: () => split.report(),
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
