/**
 * Runs the split controller during a run: it times each window from the core budget (sessions idle) and the
 * batches handed to inference (how long each waited), asks decideWorkers, resizes the preprocessing pool, and
 * keeps the changes for metadata.json.
 */
import type {CoreBudget} from './core-budget.js';
import type {PreprocessPool} from './preprocess-pool.js';
import {
  decideOverlap,
  decideWorkers,
  MAX_RECORDED_CHANGES,
  MIN_WINDOW_MS,
  OVERLAP_WINDOW_MS,
  type SplitChange,
  type SplitReport,
} from './split-controller.js';

/**
 * After adding a worker, parks wait this many windows: once the added worker keeps the model fed, batches queue
 * and the model stops waiting, which alone would park it again at once (1, 2, 1, 2... on 12-megapixel photos).
 */
export const PARK_HOLD_WINDOWS = 5;

export interface AdaptiveSplit {
  /** Called as a prepared batch goes to a session. */
  batchStarting(readyAt: number | undefined): void;
  /** Called as a batch comes back; closes a window when one is due. */
  batchDone(): void;
  report(): SplitReport;
}

export function createAdaptiveSplit(options: {
  pool: PreprocessPool | undefined;
  budget: CoreBudget;
  sessions: number;
  /** false: a fixed pool (the caller chose its size); the report still says what it was. */
  adaptive: boolean;
  /**
   * Whether preprocessing may move to phases (no worker beside inference) when it is heavy: for a session whose
   * threads hold every core (decideOverlap). Default false.
   */
  phases?: boolean;
  clock?: () => number;
  /** The process's CPU milliseconds so far (injectable for tests). */
  cpu?: () => number;
}): AdaptiveSplit {
  const {pool, budget, sessions} = options;
  const clock = options.clock ?? (() => performance.now());
  const cpu =
    options.cpu ??
    (() => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    });
  let cpuStart: number | undefined;
  let cpuLast = 0;
  const initial = pool?.size ?? 0;
  const beside = pool?.overlap ?? 0;
  let most = initial;
  let started: number | undefined;
  let windowStart = 0;
  let batchWaitMs = 0;
  let windowIdleMs = 0;
  let lastDone = 0;
  /** The overlap decision's own, shorter window: workers' and sessions' busy milliseconds. */
  let busy = {preprocessMs: 0, inferenceMs: 0};
  let overlapHeld = false;
  /** Windows left in which a park is not taken: a worker just added is not taken back at the next lull. */
  let holdParks = 0;
  const changes: SplitChange[] = [];
  return {
    batchStarting(readyAt) {
      const now = clock();
      if (started === undefined) {
        // The window opens with the first batch: the model load and the first decode are not the split's doing.
        started = now;
        windowStart = now;
        lastDone = now;
        cpuStart = cpu();
        budget.takeSessionIdleMs();
        pool?.takeBusyMs();
      }
      if (readyAt !== undefined) batchWaitMs += Math.max(0, now - readyAt);
    },
    batchDone() {
      cpuLast = cpu();
      if (!options.adaptive || !pool || started === undefined) return;
      const now = clock();
      const idleMs = budget.takeSessionIdleMs();
      windowIdleMs += idleMs;
      busy.preprocessMs += pool.takeBusyMs();
      busy.inferenceMs += (now - lastDone) * sessions - idleMs;
      lastDone = now;
      const at = Math.round(now - started) / 1000;
      const record = (reason: string) => {
        if (changes.length < MAX_RECORDED_CHANGES)
          changes.push({at_seconds: at, workers: pool.size, beside: pool.overlap, reason});
      };
      // Decided on a few batches (a ratio of two busy times, not a rate): a run spends its start beside the model.
      if (options.phases && busy.inferenceMs >= OVERLAP_WINDOW_MS) {
        // The window right after a change mixes the two arrangements (a batch prepared beside the model runs
        // in phases with no preparation counted), so it is skipped.
        const moved = overlapHeld ? {overlap: pool.overlap} : decideOverlap(busy, pool.overlap, beside);
        overlapHeld = false;
        busy = {preprocessMs: 0, inferenceMs: 0};
        if (moved.reason !== undefined) {
          overlapHeld = true;
          pool.setOverlap(moved.overlap);
          // In phases every core prepares the next batch while the model waits for it.
          if (moved.overlap === 0) pool.resize(Math.max(pool.size, budget.cores));
          most = Math.max(most, pool.size);
          record(moved.reason);
          // The worker window restarts: what it saw was the other arrangement.
          windowStart = now;
          windowIdleMs = 0;
          batchWaitMs = 0;
          return;
        }
      }
      const ms = now - windowStart;
      if (ms < MIN_WINDOW_MS) return;
      const window = {ms, sessions, sessionIdleMs: windowIdleMs, batchWaitMs};
      windowStart = now;
      windowIdleMs = 0;
      batchWaitMs = 0;
      const decision = decideWorkers(window, pool.size, {min: 1, max: pool.maxSize});
      const parking = decision.workers < pool.size;
      if (holdParks > 0) holdParks--;
      if (decision.workers === pool.size || decision.reason === undefined || (parking && holdParks > 0))
        return;
      if (!parking) holdParks = PARK_HOLD_WINDOWS;
      pool.resize(decision.workers);
      most = Math.max(most, pool.size);
      record(decision.reason);
    },
    report() {
      return {
        adaptive: options.adaptive && pool !== undefined,
        cores: budget.cores,
        workers_initial: initial,
        workers_final: pool?.size ?? 0,
        workers_most: most,
        changes,
        cpu_seconds: cpuStart === undefined ? 0 : Math.round(Math.max(0, cpuLast - cpuStart)) / 1000,
      };
    },
  };
}
