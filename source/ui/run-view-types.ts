/** The run screen's view state, as the reducers build it and the screen reads it. */
import type {DownloadTotals, WorkerStatus} from '../core/download/types.js';
import type {MemoryUsage} from '../core/run/embed-stage.js';
import type {RunReport, RunStage} from '../core/run/run-pipeline.js';
import type {RunProgress} from '../core/run/run-progress.js';

/** A download worker's row: the downloader's own status, less the internal back-off wait. */
export type WorkerRow = Omit<WorkerStatus, 'waitMs'>;

/** The download's own totals the screen shows, plus its ETA. */
export type DownloadView = Pick<
  DownloadTotals,
  | 'requested'
  | 'alreadyPresent'
  | 'toDownload'
  | 'kept'
  | 'failed'
  | 'failedByReason'
  | 'duplicates'
  | 'bytes'
  | 'imagesPerSecond'
> & {etaSeconds: number | null};

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
