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
 * Whether preprocessing computes beside a session that holds every core, or only while the model waits (phases).
 * Beside such a session a worker takes a core from one of its threads and the others wait for it at every operator;
 * in phases both cores prepare the next batch and then both infer, which costs the model that wait instead. Light
 * preprocessing (640x480 JPEGs: ~4 ms against ~55 ms of inference per image) keeps a worker beside, so the model
 * hardly waits; heavy (12-megapixel photos, exact or fast) goes to phases: +6-15% measured on 2 cores
 * (docs/performance.md, "Adaptive split"). The share is worker-busy time over session-busy time in the window; a
 * worker beside the session runs at about half speed, so the two thresholds leave a wide band that holds.
 */
export const PHASES_ABOVE_SHARE = 0.3;
/** Machines up to this many inference threads may use phases; many-core ones keep the measured overlap. */
export const PHASES_UP_TO_THREADS = 4;
export const BESIDE_BELOW_SHARE = 0.12;
/** Session-milliseconds of inference the overlap decision waits for (a few ramp batches). */
export const OVERLAP_WINDOW_MS = 300;

export interface OverlapWindow {
  /** Milliseconds workers spent on images in the window, summed over workers. */
  preprocessMs: number;
  /** Session-milliseconds spent running batches. */
  inferenceMs: number;
}

export function decideOverlap(
  window: OverlapWindow,
  overlap: number,
  beside: number,
): {overlap: number; reason?: string} {
  if (window.inferenceMs <= 0) return {overlap};
  const share = window.preprocessMs / window.inferenceMs;
  const percent = `${Math.round(share * 100)}%`;
  if (overlap > 0 && share > PHASES_ABOVE_SHARE)
    return {
      overlap: 0,
      reason: `preprocessing took ${percent} of inference's time: it now waits for idle cores`,
    };
  if (overlap === 0 && share < BESIDE_BELOW_SHARE)
    return {
      overlap: beside,
      reason: `preprocessing took ${percent} of inference's time: back beside the model`,
    };
  return {overlap};
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
  /** Workers computing beside inference after the change (0: preprocessing waits for idle cores). */
  beside: number;
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
