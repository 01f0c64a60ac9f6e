/**
 * The embed pipeline: a folder of images synced into the collection in the embeddings folder (new files
 * appended as shards, deleted and changed ones tombstoned; see docs/collection.md), then the merged view
 * (image_embeddings.npy + image_filenames.npy + metadata.json) rebuilt. Each file is read once, hashed, looked up
 * in the cache (if any); misses are preprocessed and embedded in batches (pipeline/embed-stream.ts). The streaming
 * run syncs the same way, with the images its download keeps arriving as a second source (`incoming`).
 */
import {mkdir} from 'node:fs/promises';
import {resolve} from 'node:path';
import {planSync} from '../collection/sync-plan.js';
import type {Failure} from '../collection/types.js';
import {type CollectionWriter, openCollectionWriter} from '../collection/writer.js';
import {UserError} from '../errors.js';
import {asOutputWriteError, checkOutputFolder} from '../fs/output-folder.js';
import type {DecodeMode} from '../image/clip-preprocess.js';
import type {Dtype} from '../model/model-folder.js';
import {BoundedChannel, mergeSources} from '../pipeline/bounded-channel.js';
import {committedRows, embedStream, type ImageItem} from '../pipeline/embed-stream.js';
import type {SessionTuning} from '../runtime/inference-client.js';
import type {Device} from '../runtime/onnx.js';
import type {EmbeddingCachePort} from './cache-port.js';
import type {EmbedEvent, EmbedReport} from './embed-events.js';
import type {Embedder} from './embedder.js';
import {walkImageFiles} from './file-walk.js';
import {finishView} from './finish-view.js';
import {modelFactsOf} from './model-facts.js';
import {createPipelineEmbedder} from './pipeline-embedder.js';

export interface EmbedOptions {
  imagesDir: string;
  embeddingsDir: string;
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
  /** Rows per shard of a new collection (default 4,096). */
  shardSize?: number;
  /** Rebuild the merged view at the end (default true); without it everything reads the shards. */
  mergedView?: boolean;
  /** Start the collection over (another model or images folder). */
  replace?: boolean;
  /** Monotonic milliseconds, and wall-clock time for started_at/finished_at; injectable for tests. */
  clock?: () => number;
  now?: () => Date;
}

type Control = {signal?: AbortSignal; onEvent?: (event: EmbedEvent) => void};

export interface SyncOptions extends EmbedOptions {
  /** Images arriving while the sync runs (the streaming run's downloads), embedded beside the folder's new ones. */
  incoming?: AsyncIterable<ImageItem>;
  /** How many images `incoming` brings in all, as known now (progress and the run's ETA). */
  incomingExpected?: () => number;
}

/** Nothing was written: there was nothing to embed, every file failed, or the stop came first. */
export interface EmptySync {
  empty: true;
  interrupted: boolean;
  failures: Failure[];
}

export async function embedImages(options: EmbedOptions & Control): Promise<EmbedReport> {
  const outcome = await syncImages(options);
  if (!('empty' in outcome)) return outcome;
  if (outcome.interrupted)
    throw new UserError('interrupted before any image was embedded; nothing was written');
  const first = outcome.failures[0];
  throw new UserError(
    `none of the ${outcome.failures.length} files in ${resolve(options.imagesDir)} could be embedded${first ? ` (e.g. ${first.file}: ${first.reason})` : ''}; nothing was written`,
    'check that the folder holds images (JPEG, PNG, WebP, GIF, TIFF, AVIF)',
  );
}

export async function syncImages(options: SyncOptions & Control): Promise<EmbedReport | EmptySync> {
  const clock = options.clock ?? (() => performance.now());
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent ?? (() => {});
  const startedAt = now();
  const t0 = clock();
  const imagesDir = resolve(options.imagesDir);
  const embeddingsDir = resolve(options.embeddingsDir);

  // Before the walk and the model load, so a bad --output costs nothing.
  await checkOutputFolder(embeddingsDir);
  // The streaming run's images folder may not exist yet: its downloads go there.
  if (options.incoming) await mkdir(imagesDir, {recursive: true});
  const walk = await walkImageFiles(imagesDir);
  emit({type: 'scanned', total: walk.files.length, skipped: walk.skipped});
  if (walk.files.length === 0 && !options.incoming) {
    throw new UserError(
      `no images found in ${imagesDir}${walk.skipped.length ? ` (${walk.skipped.length} skipped, e.g. ${walk.skipped[0]?.file}: ${walk.skipped[0]?.reason})` : ''}`,
      "put images there, or fetch some with 'visual-cortex download'",
    );
  }
  // The lock comes before the model load: a second embed into the folder is refused at once.
  const writer: CollectionWriter = await openCollectionWriter({
    embeddingsDir,
    shardSize: options.shardSize,
    replace: options.replace,
  }).catch((error: unknown) => {
    throw asOutputWriteError(error, embeddingsDir);
  });

  const ownEmbedder = options.embedder === undefined;
  let embedder: Embedder | undefined = options.embedder;
  try {
    if (ownEmbedder)
      emit({type: 'model-loading', model: options.model, dtype: options.dtype, device: options.device});
    embedder ??= await createPipelineEmbedder(options);
    const loadMs = clock() - t0;
    await writer.bind({
      imagesDir: imagesDir,
      model: modelFactsOf(embedder),
      dims: embedder.dims,
    });
    emit({
      type: 'model-loaded',
      model: embedder.modelName,
      dtype: embedder.dtype,
      device: embedder.device,
      dims: embedder.dims,
      file: embedder.modelFile,
      loadMs,
    });
    const plan = await planSync(walk.files, await writer.liveRows());
    emit({
      type: 'synced',
      kept: plan.kept,
      toEmbed: plan.toEmbed.length,
      removed: plan.tombstones.length,
      adopted: writer.adopted.length,
    });
    await writer.tombstone(plan.tombstones);
    const capacity = embedder.batchSize * (embedder.sessions + 1);
    const run = await embedStream({
      source: options.incoming
        ? mergeSources([BoundedChannel.of(plan.toEmbed), options.incoming], capacity)
        : BoundedChannel.of(plan.toEmbed),
      expected: () => plan.toEmbed.length + (options.incomingExpected?.() ?? 0),
      embedder,
      sink: writer,
      cache: options.cache,
      readAhead: options.readAhead,
      clock,
      signal: options.signal,
      onEvent: emit,
    });
    const last = await writer.commit();
    if (last) {
      run.committed.push(last);
      emit({type: 'committed', shard: last.id, rows: last.rows, total: committedRows(run)});
    }
    if (run.appended === 0 && plan.kept === 0 && plan.tombstones.length === 0)
      return {empty: true, interrupted: run.interrupted, failures: run.failures};
    const report = await finishView({
      writer,
      embedder,
      run,
      plan,
      walk,
      imagesDir,
      ms: {load: loadMs, t0},
      startedAt,
      clock,
      now,
      mergedView: options.mergedView !== false,
      emit,
    });
    emit({type: 'done', report});
    return report;
  } catch (error) {
    await writer.discard();
    throw asOutputWriteError(error, embeddingsDir);
  } finally {
    try {
      await writer.close();
    } finally {
      if (ownEmbedder) await embedder?.close();
    }
  }
}
