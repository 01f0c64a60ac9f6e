/**
 * The run screen's view state, reduced from the pipeline's events. Pure: tests feed synthetic events. Both stages
 * run at once, so both sections fill together; the run's one ETA comes from the pipeline's 'progress' events.
 */
import type {FailureReason, WorkerStatus} from '../core/download/types.js';
import type {MemoryUsage} from '../core/run/embed-stage.js';
import type {RunEvent, RunReport, RunStage} from '../core/run/run-pipeline.js';
import type {RunProgress} from '../core/run/run-progress.js';
import {reduceDownload, reduceEmbed} from './run-view-stages.js';

/** A download worker's row: the downloader's own status, less the internal back-off wait. */
export type WorkerRow = Omit<WorkerStatus, 'waitMs'>;

export interface DownloadView {
  requested: number;
  alreadyPresent: number;
  toDownload: number;
  kept: number;
  failed: number;
  failedByReason: Partial<Record<FailureReason, number>>;
  duplicates: number;
  bytes: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
}

export interface EmbedView {
  model: string | null;
  dtype: string | null;
  device: string | null;
  total: number | null;
  done: number;
  ok: number;
  failed: number;
  cacheHits: number;
  batchMs: number | null;
  imagesPerSecond: number;
  averageImagesPerSecond: number;
  etaSeconds: number | null;
  /** Rows in the shards this run has committed to the collection. */
  committedRows: number;
  writing: boolean;
}

export interface RunViewState {
  /** download: both stages run; embed: the download has ended and the embedder drains what is left. */
  stage: RunStage | 'starting' | 'done';
  stopping: boolean;
  workers: WorkerRow[];
  download: DownloadView | null;
  /** The last few item failures, newest last, for a glance at what is going wrong. */
  recentFailures: string[];
  embed: EmbedView | null;
  memory: MemoryUsage | null;
  /** Both stages' figures and the one ETA for the whole run. */
  progress: RunProgress | null;
  report: RunReport | null;
}

export const initialRunViewState: RunViewState = {
  stage: 'starting',
  stopping: false,
  workers: [],
  download: null,
  recentFailures: [],
  embed: null,
  memory: null,
  progress: null,
  report: null,
};

export function reduceRunView(state: RunViewState, event: RunEvent): RunViewState {
  switch (event.type) {
    case 'progress':
      return {
        ...state,
        stage: event.progress.download.ended ? 'embed' : 'download',
        progress: event.progress,
      };
    case 'stopping':
      return {...state, stopping: true};
    case 'done':
      return {...state, stage: 'done', report: event.report};
    case 'download':
      return reduceDownload(state.stage === 'starting' ? {...state, stage: 'download'} : state, event.event);
    case 'embed':
      return reduceEmbed(state, event.event);
  }
}
