/**
 * A run the dashboard has started: the store its events land in and the controller that stops it. The run screen
 * renders the store's state at a bounded rate (event-store.ts) rather than on every event.
 */
import type {RunEvent} from '../core/run/run-pipeline.js';
import {type EventStore, useThrottledState} from './event-store.js';
import {RunScreen} from './run-screen.js';
import type {RunViewState} from './run-view-state.js';

export interface ActiveRun {
  store: EventStore<RunViewState, RunEvent>;
  controller: AbortController;
}

export function LiveRun(props: {
  store: EventStore<RunViewState, RunEvent>;
  onInterrupt: () => void;
  intervalMs: number | undefined;
}) {
  const state = useThrottledState(props.store, props.intervalMs);
  return <RunScreen state={state} onInterrupt={props.onInterrupt} />;
}
