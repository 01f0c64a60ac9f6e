/** Folds a model pull's events into the set-up screen's one-line progress. Pure. */
import type {PullEvent} from '../core/model/pull-types.js';
import type {PullView} from './setup-screen.js';

export interface PullTracker {
  view: PullView;
  approxBytes: number | null;
  bytesByFile: Record<string, number>;
}

export function startPull(model: string, dtype: string): PullTracker {
  return {view: {model, dtype, fraction: null, state: 'pulling'}, approxBytes: null, bytesByFile: {}};
}

export function reducePull(tracker: PullTracker, event: PullEvent): PullTracker {
  if (event.type === 'pull-start') return {...tracker, approxBytes: event.approxBytes};
  if (event.type === 'installed') return {...tracker, view: {...tracker.view, fraction: 1, state: 'done'}};
  if (event.type !== 'file-progress') return tracker;
  const bytesByFile = {...tracker.bytesByFile, [event.path]: event.bytes};
  const total = Object.values(bytesByFile).reduce((sum, bytes) => sum + bytes, 0);
  const fraction = tracker.approxBytes ? Math.min(0.99, total / tracker.approxBytes) : null;
  return {...tracker, bytesByFile, view: {...tracker.view, fraction}};
}
