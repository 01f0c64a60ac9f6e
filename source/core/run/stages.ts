/** The contract between the run pipeline and its two stages (the real ones, or a test's fakes). */
import type {DownloadEvent, DownloadReport} from '../download/types.js';
import type {EmbedStageEvent, EmbedStageReport} from './embed-stage.js';
import type {RunSetup} from './run-setup.js';

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
