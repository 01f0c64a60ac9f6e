/**
 * The run screen's view state, reduced from the pipeline's events. Pure: tests feed synthetic events.
 */
import type {RunEvent} from '../core/run/run-pipeline.js';
import {emptyEmbed, reduceDownload, reduceEmbed} from './run-view-stages.js';
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
  report: null,
};

export function reduceRunView(state: RunViewState, event: RunEvent): RunViewState {
  switch (event.type) {
    case 'stage':
      return {...state, stage: event.stage, embed: event.stage === 'embed' ? {...emptyEmbed} : state.embed};
    case 'stopping':
      return {...state, stopping: true};
    case 'done':
      return {...state, stage: 'done', report: event.report};
    case 'download':
      return reduceDownload(state, event.event);
    case 'embed':
      return reduceEmbed(state, event.event);
  }
}
