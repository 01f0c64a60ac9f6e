/** The contract between the run pipeline and its two stages (the real ones, or a test's fakes). */
import type {DownloadEvent, DownloadReport, SavedImage} from '../download/types.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import type {ImageItem} from '../embed/read-batch.js';
import type {EmbedStageEvent, EmbedStageReport} from './embed-stage.js';
import type {RunSetup} from './run-setup.js';

export interface StageContext<E> {
  signal: AbortSignal;
  onEvent: (event: E) => void;
  env: NodeJS.ProcessEnv;
  modelsDir?: string;
}

export interface DownloadStageContext extends StageContext<DownloadEvent> {
  /** Hands a saved image to the embedder; the worker waits for it (the queue may be full). */
  onKept: (image: SavedImage) => Promise<unknown>;
}

export interface EmbedStageContext extends StageContext<EmbedStageEvent> {
  /** The images the download keeps, as it keeps them; ends when the download does. */
  incoming: AsyncIterable<ImageItem>;
  /** How many images `incoming` brings in all, as known now. */
  incomingExpected: () => number;
  /** undefined: the stage opens the default cache (as `embed` does); null: no cache. */
  cache?: EmbeddingCachePort | null | undefined;
  shardSize?: number | undefined;
}

/** The two stages, injectable so the pipeline and the UI can be tested without network or model. */
export interface RunStages {
  /** Fails fast (UserError) on what would only fail later, e.g. a missing model. */
  preflight?(setup: RunSetup, context: Omit<StageContext<never>, 'onEvent'>): Promise<void>;
  download(setup: RunSetup, context: DownloadStageContext): Promise<DownloadReport>;
  embed(setup: RunSetup, context: EmbedStageContext): Promise<EmbedStageReport>;
}
