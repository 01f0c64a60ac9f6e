/**
 * The split of the cores between preprocessing and inference, decided by measurement. Each window (about a
 * second of the run) says how long the sessions waited for batches and how long prepared batches waited for a
 * session; the controller then adds a preprocessing worker (the model is starved), parks one (batches queue up and
 * the model never waits), or holds. Added workers compute only on cores the sessions leave idle (core-budget.ts).
 */

/** What one window measured. */
export interface SplitWindow {
  ms: number;
  sessions: number;
  /** Session-milliseconds with no batch to run. */
  sessionIdleMs: number;
  /** Milliseconds prepared batches waited for a session, summed over batches. */
  batchWaitMs: number;
}

export interface SplitLimits {
  min: number;
  max: number;
}

export interface SplitDecision {
  workers: number;
  /** Why it changed (absent when it holds). */
  reason?: string;
}

/** The model waiting more than this share of the window means preprocessing is the bottleneck. */
export const GROW_WHEN_MODEL_WAITS = 0.05;
/** Batches waiting this share of the window, with the model (almost) never waiting: inference is. */
export const SHRINK_WHEN_BATCHES_WAIT = 0.5;
export const SHRINK_ONLY_BELOW_MODEL_WAIT = 0.01;
/** A window shorter than this says too little on a machine shared with other work. */
export const MIN_WINDOW_MS = 1000;

export function decideWorkers(window: SplitWindow, workers: number, limits: SplitLimits): SplitDecision {
  if (window.ms < MIN_WINDOW_MS) return {workers};
  const modelWait = window.sessionIdleMs / (window.ms * Math.max(1, window.sessions));
  const batchWait = window.batchWaitMs / window.ms;
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  if (modelWait > GROW_WHEN_MODEL_WAITS && workers < limits.max) {
    return {
      workers: workers + 1,
      reason: `the model waited ${percent(modelWait)} of the window for batches`,
    };
  }
  if (
    batchWait > SHRINK_WHEN_BATCHES_WAIT &&
    modelWait < SHRINK_ONLY_BELOW_MODEL_WAIT &&
    workers > limits.min
  ) {
    return {
      workers: workers - 1,
      reason: `batches waited ${percent(batchWait)} of the window for a session, the model ${percent(modelWait)}`,
    };
  }
  return {workers: Math.min(limits.max, Math.max(limits.min, workers))};
}

/**
 * Preprocessing workers the pool may grow to: every core (a worker beyond the overlap allowance only computes on
 * a core the sessions leave idle), at most 8, because each holds its own decode buffer (up to 64 MB for a large
 * photo) and V8 heap.
 */
export function maxPreprocessWorkers(cores: number): number {
  return Math.max(1, Math.min(8, cores));
}

export interface SplitChange {
  at_seconds: number;
  workers: number;
  reason: string;
}

/** A run's split, for metadata.json: where it started and ended, and each change (the first 20). */
export interface SplitReport {
  adaptive: boolean;
  cores: number;
  workers_initial: number;
  workers_final: number;
  workers_most: number;
  changes: SplitChange[];
  /** The process's CPU time (every thread) from the first batch to the last: CPU cost per image = this / ok. */
  cpu_seconds: number;
}

export const MAX_RECORDED_CHANGES = 20;
