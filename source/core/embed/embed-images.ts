/**
 * The embed pipeline: a folder of images in, image_embeddings.npy + image_filenames.npy + metadata.json out.
 * Each file is read once, hashed, looked up in the cache (if any); misses are preprocessed and embedded in
 * batches, in the order batch-schedule.ts gives: the next batch is read and decoded while the model runs the
 * current one (or two, with two sessions).
 */
import {resolve} from 'node:path';
import {UserError} from '../errors.js';
import {asOutputWriteError, checkOutputFolder} from '../fs/output-folder.js';
import type {DecodeMode} from '../image/clip-preprocess.js';
import type {Dtype} from '../model/model-folder.js';
import {Float32NpyStream} from '../npy-stream.js';
import type {SessionTuning} from '../runtime/inference-client.js';
import type {Device} from '../runtime/onnx.js';
import {batchOutcomes} from './batch-outcomes.js';
import {inferBatchesInOrder} from './batch-schedule.js';
import type {EmbeddingCachePort} from './cache-port.js';
import {batchProgress, type EmbedEvent, type EmbedReport, memoryEvent} from './embed-events.js';
import type {Embedder} from './embedder.js';
import {walkImageFiles} from './file-walk.js';
import {describeRun, peakRssBytes, roundSeconds} from './metadata.js';
import {outputPaths, writeEmbeddingOutputs} from './outputs.js';
import {createPipelineEmbedder} from './pipeline-embedder.js';
import {batchPreparer} from './read-batch.js';

export interface EmbedOptions {
  inputDir: string;
  outputDir: string;
  model: string;
  modelsDir: string;
  dtype: Dtype;
  device: Device;
  batchSize?: number;
  threads?: number;
  /** Inference sessions sharing `threads` (default: defaultSessions for the dtype). */
  sessions?: number;
  cache?: EmbeddingCachePort;
  /** An embedder that is already open (the dashboard keeps one); it is not closed here. */
  embedder?: Embedder;
  /**
   * Prepare batch k+1 while batch k is in inference (default true). Off, preparation and inference alternate
   * and each gets every core (for measurements; see docs/performance.md).
   */
  readAhead?: boolean;
  /** Preprocessing worker threads, passed to the embedder (0: on this thread). */
  preprocessWorkers?: number;
  /** JPEG decoding, passed to the embedder: exact (default) or fast. */
  decode?: DecodeMode;
  /** onnxruntime session tuning, passed to the embedder (see SessionTuning). */
  tuning?: SessionTuning;
  /** Monotonic milliseconds, and wall-clock time for started_at/finished_at; injectable for tests. */
  clock?: () => number;
  now?: () => Date;
}

export async function embedImages(
  options: EmbedOptions & {signal?: AbortSignal; onEvent?: (event: EmbedEvent) => void},
): Promise<EmbedReport> {
  const clock = options.clock ?? (() => performance.now());
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent ?? (() => {});
  const signal = options.signal;
  const startedAt = now();
  const t0 = clock();
  const inputDir = resolve(options.inputDir);
  const outputDir = resolve(options.outputDir);

  // Before the walk and the model load, so a bad --output costs nothing.
  await checkOutputFolder(outputDir);
  const walk = await walkImageFiles(inputDir);
  emit({type: 'scanned', total: walk.files.length, skipped: walk.skipped});
  if (walk.files.length === 0) {
    throw new UserError(
      `no images found in ${inputDir}${walk.skipped.length ? ` (${walk.skipped.length} skipped, e.g. ${walk.skipped[0]?.file}: ${walk.skipped[0]?.reason})` : ''}`,
      "put images there, or fetch some with 'visual-cortex download'",
    );
  }

  const ownEmbedder = options.embedder === undefined;
  if (ownEmbedder)
    emit({type: 'model-loading', model: options.model, dtype: options.dtype, device: options.device});
  const embedder = options.embedder ?? (await createPipelineEmbedder(options));
  const loadMs = clock() - t0;
  // Rows go to disk as they come (made on the first one, so a run that embeds nothing writes nothing).
  let rows: Float32NpyStream | undefined;
  const filenames: string[] = [];
  const failures: {file: string; reason: string}[] = [];
  let cacheHits = 0;
  let preprocessMs = 0;
  let inferenceMs = 0;
  let interrupted = false;
  let embedMs = 0;
  try {
    emit({
      type: 'model-loaded',
      model: embedder.modelName,
      dtype: embedder.dtype,
      device: embedder.device,
      dims: embedder.dims,
      file: embedder.modelFile,
      loadMs,
    });
    const cache = options.cache;
    const prepareBatch = await batchPreparer(embedder, cache, clock);

    const batchSize = embedder.batchSize;
    const total = walk.files.length;
    const embedStart = clock();
    const progress = batchProgress(total, clock, embedStart);
    const batches = inferBatchesInOrder({
      files: walk.files,
      batchSize,
      sessions: embedder.sessions,
      prepare: prepareBatch,
      infer: embedder.infer,
      signal,
      readAhead: options.readAhead,
      onInterrupt: () => {
        interrupted = true;
      },
    });
    for await (const {ready, inferred} of batches) {
      preprocessMs += ready.ms;
      inferenceMs += inferred.inferenceMs;
      const outcomes = batchOutcomes(ready, inferred.results);
      cacheHits += outcomes.cacheHits;
      for (const file of outcomes.filenames) filenames.push(file);
      for (const failure of outcomes.failures) {
        failures.push(failure);
        emit({type: 'failure', file: failure.file, reason: failure.reason});
      }
      if (outcomes.rows.length > 0) {
        rows ??= await Float32NpyStream.create(outputPaths(outputDir).embeddings, embedder.dims, total);
        await rows.append(outcomes.rows);
      }
      if (cache && outcomes.fresh.length > 0) cache.putMany(outcomes.fresh);
      emit(progress(ready.files.length, {ok: filenames.length, failed: failures.length, cacheHits}));
      emit(memoryEvent());
    }
    embedMs = clock() - embedStart;
  } catch (error) {
    await rows?.discard();
    throw asOutputWriteError(error, outputDir);
  } finally {
    if (ownEmbedder) await embedder.close();
  }

  if (rows === undefined) {
    if (interrupted) throw new UserError('interrupted before any image was embedded; nothing was written');
    const first = failures[0];
    throw new UserError(
      `none of the ${failures.length} files in ${inputDir} could be embedded${first ? ` (e.g. ${first.file}: ${first.reason})` : ''}; nothing was written`,
      'check that the folder holds images (JPEG, PNG, WebP, GIF, TIFF, AVIF)',
    );
  }

  emit({type: 'writing'});
  const dims = embedder.dims;
  const writeStart = clock();
  const base = describeRun({
    embedder,
    inputDir,
    counts: {
      inputs: walk.files.length,
      ok: filenames.length,
      failed: failures.length,
      cache_hits: cacheHits,
      skipped: walk.skipped.length,
    },
    failures,
    ms: {load: loadMs, preprocess: preprocessMs, inference: inferenceMs, embed: embedMs},
    startedAt,
    interrupted,
  });
  const written = await writeEmbeddingOutputs(
    outputDir,
    {vectors: rows, count: filenames.length, dims, filenames},
    () => ({
      ...base,
      timings_seconds: {
        ...base.timings_seconds,
        write: roundSeconds(clock() - writeStart),
        total: roundSeconds(clock() - t0),
      },
      peak_rss_bytes: peakRssBytes(),
      finished_at: now().toISOString(),
    }),
  ).catch(async (error: unknown) => {
    await rows.discard();
    throw asOutputWriteError(error, outputDir);
  });
  const report: EmbedReport = {outputDir, paths: written.paths, metadata: written.metadata};
  emit({type: 'done', report});
  return report;
}
