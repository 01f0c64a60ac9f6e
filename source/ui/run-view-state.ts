/**
 * The run screen's view state, reduced from the pipeline's events. Pure: tests feed synthetic events. Both stages
 * run at once, so both sections fill together; the run's one ETA comes from the pipeline's 'progress' events.
 */
import type {RunEvent} from '../core/run/run-pipeline.js';
import {reduceDownload, reduceEmbed} from './run-view-stages.js';
import type {RunViewState} from './run-view-types.js';

// The view types live apart so the per-stage reducers need not import this file.
export type {DownloadView, EmbedView, RunViewState, WorkerRow} from './run-view-types.js';

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
