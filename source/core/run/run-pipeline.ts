/**
 * `run`: download, then embed what is in the images directory. One AbortSignal stops it gracefully: an abort
 * during the download stops the download and skips embedding (earlier outputs stay untouched); an abort during
 * embedding lets the batches in the model finish and the embedder writes consistent outputs with interrupted: true.
 */
import type {DownloadEvent, DownloadReport} from '../download/types.js';
import {unreachableHint} from '../download/unreachable.js';
import {UserError} from '../errors.js';
import type {EmbedStageEvent, EmbedStageReport} from './embed-stage.js';
import type {RunSetup} from './run-setup.js';

export type RunStage = 'download' | 'embed';

export type RunEvent =
  | {type: 'stage'; stage: RunStage}
  | {type: 'download'; event: DownloadEvent}
  | {type: 'embed'; event: EmbedStageEvent}
  /** The signal fired: the run is winding down. */
  | {type: 'stopping'; stage: RunStage}
  | {type: 'done'; report: RunReport};

export interface RunReport {
  interrupted: boolean;
  /** The stage that was running when the stop was asked for, or null. */
  stoppedDuring: RunStage | null;
  imagesDir: string;
  embeddingsDir: string;
  download: DownloadReport | null;
  /** Null when embedding did not run (stopped during the download). */
  embed: EmbedStageReport | null;
  /** The output files written by this run (empty when embedding did not run). */
  outputFiles: string[];
  startedAt: string;
  finishedAt: string;
  seconds: number;
}

export interface StageContext<E> {
  signal: AbortSignal;
  onEvent: (event: E) => void;
  env: NodeJS.ProcessEnv;
  modelsDir?: string;
}

/** The two stages, injectable so the pipeline and the UI can be tested without network or model. */
export interface RunStages {
  /** Fails fast (UserError) on what would only fail after the download, e.g. a missing model. */
  preflight?(setup: RunSetup, context: Omit<StageContext<never>, 'onEvent'>): Promise<void>;
  download(setup: RunSetup, context: StageContext<DownloadEvent>): Promise<DownloadReport>;
  embed(setup: RunSetup, context: StageContext<EmbedStageEvent>): Promise<EmbedStageReport>;
}

export interface RunPipelineOptions {
  signal: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  env?: NodeJS.ProcessEnv;
  modelsDir?: string;
  stages?: RunStages;
  now?: () => Date;
}

/** The job contract: the set-up and the controls in one object; a graceful stop returns `interrupted: true`. */
export async function runPipeline(options: RunSetup & RunPipelineOptions): Promise<RunReport> {
  const setup: RunSetup = options;
  const emit = options.onEvent ?? (() => {});
  const now = options.now ?? (() => new Date());
  const stages = options.stages ?? (await import('./real-stages.js')).realStages;
  const base = {signal: options.signal, env: options.env ?? process.env, modelsDir: options.modelsDir};
  const started = now();
  let stage: RunStage = 'download';
  let stoppedDuring: RunStage | null = null;
  const onAbort = () => {
    stoppedDuring = stage;
    emit({type: 'stopping', stage});
  };
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, {once: true});
  try {
    await stages.preflight?.(setup, base);
    let download: DownloadReport | null = null;
    let embed: EmbedStageReport | null = null;
    if (!options.signal.aborted) {
      emit({type: 'stage', stage: 'download'});
      download = await stages.download(setup, {...base, onEvent: (event) => emit({type: 'download', event})});
      // Nothing to embed, and not the folder's fault: say so rather than that the images folder is empty.
      if (download.stopReason === 'unreachable' && download.total === 0) {
        throw new UserError(
          `the download could not reach the provider, so there is nothing to embed: ${download.sourceError}`,
          unreachableHint(setup.provider),
        );
      }
    }
    if (!options.signal.aborted) {
      stage = 'embed';
      emit({type: 'stage', stage: 'embed'});
      embed = await stages.embed(setup, {...base, onEvent: (event) => emit({type: 'embed', event})});
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
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
    };
    emit({type: 'done', report});
    return report;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
}
