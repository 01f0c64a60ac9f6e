/**
 * Reduces events as they arrive (cheap) and lets React re-render at a bounded rate, so a flood of progress
 * events never makes the terminal UI the bottleneck.
 */
import {useEffect, useState} from 'react';

export interface EventStore<S, E> {
  dispatch(event: E): void;
  getState(): S;
  /** Called after every dispatch; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export function createEventStore<S, E>(reducer: (state: S, event: E) => S, initial: S): EventStore<S, E> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    dispatch(event) {
      state = reducer(state, event);
      for (const listener of listeners) listener();
    },
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The store's state, re-rendered at most every intervalMs (10 fps by default). A change is never lost: the last
 * one in a burst is rendered when the interval ends.
 */
export function useThrottledState<S, E>(store: EventStore<S, E>, intervalMs = 100): S {
  const [state, setState] = useState(store.getState());
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let last = 0;
    const flush = () => {
      timer = undefined;
      last = Date.now();
      setState(store.getState());
    };
    const unsubscribe = store.subscribe(() => {
      if (timer !== undefined) return;
      const wait = Math.max(0, last + intervalMs - Date.now());
      timer = setTimeout(flush, wait);
    });
    flush();
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [store, intervalMs]);
  return state;
}
