/**
 * `run` as one streaming pipeline: the download and the embedder run at once. Every image the download keeps goes
 * into a bounded queue that the embedder drains beside the images already in the folder but not yet in the
 * collection; when the queue is full the download's workers wait. Rows are appended to the collection as they come
 * and a shard commits as it fills, so a kill loses at most the shard being filled. One AbortSignal stops both
 * gracefully: the download aborts, the batches in the model finish, the partial shard commits and the merged view
 * is written with interrupted: true.
 */

import type {DownloadEvent, DownloadReport} from '../download/types.js';
import {unreachableHint} from '../download/unreachable.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import {UserError} from '../errors.js';
import {BoundedChannel} from '../pipeline/bounded-channel.js';
import type {ImageItem} from '../pipeline/embed-stream.js';
import type {EmbedStageEvent, EmbedStageReport} from './embed-stage.js';
import {type RunProgress, RunProgressTracker} from './run-progress.js';
import type {RunSetup} from './run-setup.js';
import type {RunStages} from './stages.js';

// The stage contract lives beside the stages so the real ones need not import the pipeline.
export type {DownloadStageContext, EmbedStageContext, RunStages, StageContext} from './stages.js';

export type RunStage = 'download' | 'embed';

export type RunEvent =
  | {type: 'download'; event: DownloadEvent}
  | {type: 'embed'; event: EmbedStageEvent}
  /** Both stages' figures and the run's one ETA (run-progress.ts), after each event that moves them. */
  | {type: 'progress'; progress: RunProgress}
  /** The signal fired: the run is winding down (`stage`: download while it still ran, else embed). */
  | {type: 'stopping'; stage: RunStage}
  | {type: 'done'; report: RunReport};

export interface RunReport {
  interrupted: boolean;
  /** download: the stop came while the download still ran; embed: after it had ended; null: no stop. */
  stoppedDuring: RunStage | null;
  imagesDir: string;
  embeddingsDir: string;
  download: DownloadReport | null;
  /** Null when the run was stopped before it began. */
  embed: EmbedStageReport | null;
  /** The merged view's files (empty when nothing was written). */
  outputFiles: string[];
  progress: RunProgress;
  startedAt: string;
  finishedAt: string;
  seconds: number;
}

export interface RunPipelineOptions {
  signal: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  env?: NodeJS.ProcessEnv;
  modelsDir?: string;
  stages?: RunStages;
  /** The embedding cache; undefined: the default one ($VISUAL_CORTEX_CACHE or ~/.cache), null: none. */
  cache?: EmbeddingCachePort | null | undefined;
  /** Rows per shard of a new collection (default 4,096). */
  shardSize?: number | undefined;
  /** Kept images queued for the embedder before the download waits (default KEPT_QUEUE). */
  queueCapacity?: number;
  now?: () => Date;
}

/**
 * Kept images waiting for the embedder. An entry is a path (the bytes are on disk, read back from the page
 * cache), so 1,024 of them cost ~100 KB and let the download run far ahead of a slow embedder before it waits.
 */
export const KEPT_QUEUE = 1024;

/** The job contract: the set-up and the controls in one object; a graceful stop returns `interrupted: true`. */
export async function runPipeline(options: RunSetup & RunPipelineOptions): Promise<RunReport> {
  const setup: RunSetup = options;
  const emit = options.onEvent ?? (() => {});
  const now = options.now ?? (() => new Date());
  const stages = options.stages ?? (await import('./real-stages.js')).realStages;
  const base = {env: options.env ?? process.env, modelsDir: options.modelsDir};
  const started = now();
  const progress = new RunProgressTracker();
  const emitProgress = (moved: boolean) => {
    if (moved) emit({type: 'progress', progress: progress.snapshot()});
  };
  let downloading = true;
  let stoppedDuring: RunStage | null = null;
  const onAbort = () => {
    stoppedDuring = downloading ? 'download' : 'embed';
    emit({type: 'stopping', stage: stoppedDuring});
  };
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, {once: true});
  // A stage that fails stops the other.
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const kept = new BoundedChannel<ImageItem>(options.queueCapacity ?? KEPT_QUEUE);
  // Once stopped, the embedder takes nothing more: the download's workers must not wait on it.
  const release = () => kept.cancel();
  signal.addEventListener('abort', release, {once: true});
  try {
    await stages.preflight?.(setup, {...base, signal});
    let download: DownloadReport | null = null;
    let embed: EmbedStageReport | null = null;
    if (!signal.aborted) {
      let firstError: {error: unknown} | undefined;
      const failed = (error: unknown) => {
        firstError ??= {error};
        stop.abort();
        throw error;
      };
      const downloadRun = stages
        .download(setup, {
          ...base,
          signal,
          onEvent: (event) => {
            emit({type: 'download', event});
            emitProgress(progress.onDownload(event));
          },
          onKept: (image) => kept.push({relative: image.file, absolute: image.path}),
        })
        .finally(() => {
          downloading = false;
          progress.downloadEnded();
          kept.close();
        })
        .catch(failed);
      const embedRun = stages
        .embed(setup, {
          ...base,
          signal,
          incoming: kept,
          incomingExpected: () => progress.incomingExpected(),
          cache: options.cache,
          shardSize: options.shardSize,
          onEvent: (event) => {
            emit({type: 'embed', event});
            emitProgress(progress.onEmbed(event));
          },
        })
        .finally(release)
        .catch(failed);
      const [downloaded, embedded] = await Promise.allSettled([downloadRun, embedRun]);
      if (firstError) throw firstError.error;
      download = downloaded.status === 'fulfilled' ? downloaded.value : null;
      embed = embedded.status === 'fulfilled' ? embedded.value : null;
      if (download && embed) refuseEmptyRun(setup, download, embed);
    }
    const finished = now();
    const report: RunReport = {
      interrupted: stoppedDuring !== null || Boolean(download?.interrupted) || Boolean(embed?.interrupted),
      stoppedDuring,
      imagesDir: setup.imagesDir,
      embeddingsDir: setup.embeddingsDir,
      download,
      embed,
      outputFiles: embed?.outputFiles ?? [],
      progress: progress.snapshot(),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
    };
    emit({type: 'done', report});
    return report;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    signal.removeEventListener('abort', release);
    kept.cancel();
  }
}

/** A run that wrote nothing, and was not stopped, says why: the provider, or a folder with nothing to embed. */
function refuseEmptyRun(setup: RunSetup, download: DownloadReport, embed: EmbedStageReport): void {
  if (download.stopReason === 'unreachable' && download.total === 0)
    throw new UserError(
      `the download could not reach the provider, so there is nothing to embed: ${download.sourceError}`,
      unreachableHint(setup.provider),
    );
  if (embed.collection !== null || embed.interrupted || download.interrupted) return;
  const first = embed.failures[0];
  throw new UserError(
    embed.failed > 0
      ? `none of the ${embed.failed} images in ${setup.imagesDir} could be embedded${first ? ` (e.g. ${first.file}: ${first.reason})` : ''}; nothing was written`
      : `no images to embed in ${setup.imagesDir}: the download kept none`,
    'check the source (--provider, --url, --urls, --from) and that the folder holds images',
  );
}
