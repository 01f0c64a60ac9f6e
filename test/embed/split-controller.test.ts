// The adaptive split's decisions, from injected measurements: no timing is asserted anywhere here.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  type AdaptiveSplit,
  createAdaptiveSplit,
  PARK_HOLD_WINDOWS,
} from '../../source/core/embed/adaptive-split.js';
import {createCoreBudget} from '../../source/core/embed/core-budget.js';
import {mayStartImage, type PreprocessPool} from '../../source/core/embed/preprocess-pool.js';
import {
  BESIDE_BELOW_SHARE,
  decideOverlap,
  decideWorkers,
  maxPreprocessWorkers,
  PHASES_ABOVE_SHARE,
  type SplitWindow,
} from '../../source/core/embed/split-controller.js';

const window = (overrides: Partial<SplitWindow>): SplitWindow => ({
  ms: 2000,
  sessions: 1,
  sessionIdleMs: 0,
  batchWaitMs: 0,
  ...overrides,
});
const limits = {min: 1, max: 2};

test('a starved model gets another preprocessing worker, up to the limit', () => {
  const starved = window({sessionIdleMs: 600});
  const grown = decideWorkers(starved, 1, limits);
  assert.equal(grown.workers, 2);
  assert.match(grown.reason ?? '', /model waited 30% of the window/);
  assert.deepEqual(decideWorkers(starved, 2, limits), {workers: 2}, 'already at the most');
  // Two sessions: 600 ms idle over 4000 session-ms is 15%, still starved.
  assert.equal(decideWorkers(window({sessions: 2, sessionIdleMs: 600}), 1, limits).workers, 2);
  // 5% of the window is the line: 100 ms of 2000 holds, 101 grows.
  assert.equal(decideWorkers(window({sessionIdleMs: 100}), 1, limits).workers, 1);
  assert.equal(decideWorkers(window({sessionIdleMs: 101}), 1, limits).workers, 2);
});

test('batches queueing for a busy model park a worker, never the last one', () => {
  const queued = window({batchWaitMs: 1500, sessionIdleMs: 10});
  const parked = decideWorkers(queued, 3, {min: 1, max: 4});
  assert.equal(parked.workers, 2);
  assert.match(parked.reason ?? '', /batches waited 75%/);
  assert.deepEqual(decideWorkers(queued, 1, {min: 1, max: 4}), {workers: 1});
  // The model waiting at all (1% or more) keeps the workers, however long batches also waited.
  assert.equal(decideWorkers(window({batchWaitMs: 1500, sessionIdleMs: 40}), 3, {min: 1, max: 4}).workers, 3);
  // Batches waiting half the window or less: hold.
  assert.equal(decideWorkers(window({batchWaitMs: 1000}), 3, {min: 1, max: 4}).workers, 3);
});

test('a short window decides nothing; a balanced one holds', () => {
  assert.deepEqual(decideWorkers(window({ms: 999, sessionIdleMs: 900}), 1, limits), {workers: 1});
  assert.deepEqual(decideWorkers(window({sessionIdleMs: 50, batchWaitMs: 400}), 2, limits), {workers: 2});
});

test('the pool may grow to every core, at most 8', () => {
  assert.equal(maxPreprocessWorkers(1), 1);
  assert.equal(maxPreprocessWorkers(2), 2);
  assert.equal(maxPreprocessWorkers(16), 8);
});

test('workers beyond the overlap allowance compute only on cores inference leaves free', () => {
  // 2 cores, one two-thread session running: only the first worker may work.
  assert.equal(mayStartImage({index: 0, overlap: 1, busy: 0, freeOfInference: 0}), true);
  assert.equal(mayStartImage({index: 1, overlap: 1, busy: 1, freeOfInference: 0}), false);
  // The session waits for a batch: both cores are free, the second worker takes the other.
  assert.equal(mayStartImage({index: 1, overlap: 1, busy: 1, freeOfInference: 2}), true);
  // q8's two one-thread sessions, one running: one core free, already taken by the first worker.
  assert.equal(mayStartImage({index: 1, overlap: 1, busy: 1, freeOfInference: 1}), false);
  assert.equal(mayStartImage({index: 1, overlap: 1, busy: 0, freeOfInference: 1}), true);
  // Phases (overlap 0): even the first worker waits while the session holds every core.
  assert.equal(mayStartImage({index: 0, overlap: 0, busy: 0, freeOfInference: 0}), false);
  assert.equal(mayStartImage({index: 1, overlap: 0, busy: 1, freeOfInference: 2}), true);
  assert.equal(mayStartImage({index: 1, overlap: 0, busy: 2, freeOfInference: 2}), false);
});

test('the core budget counts running inference threads and integrates idle sessions', () => {
  let now = 0;
  const budget = createCoreBudget(2, 2, () => now);
  let freed = 0;
  budget.onFreed(() => freed++);
  now = 100; // both sessions idle for 100 ms: 200 session-ms
  budget.inferenceStarted(1);
  assert.equal(budget.freeOfInference, 1);
  now = 300; // one idle for 200 ms
  budget.inferenceStarted(1);
  assert.equal(budget.freeOfInference, 0);
  now = 500; // none idle
  budget.inferenceEnded(1);
  assert.equal(freed, 1);
  now = 600; // one idle for 100 ms
  assert.equal(budget.takeSessionIdleMs(), 200 + 200 + 100);
  assert.equal(budget.takeSessionIdleMs(), 0, 'taken, so reset');
});

function fakePool(
  size: number,
  maxSize: number,
): PreprocessPool & {sizes: number[]; busyMs: number; overlaps: number[]} {
  const pool = {
    size,
    maxSize,
    sizes: [] as number[],
    overlap: size,
    overlaps: [] as number[],
    busyMs: 0,
    ready: Promise.resolve(),
    preprocessInto: () => Promise.resolve({ok: true as const}),
    resize(wanted: number) {
      pool.size = Math.max(1, Math.min(maxSize, wanted));
      pool.sizes.push(pool.size);
    },
    setOverlap(wanted: number) {
      pool.overlap = wanted;
      pool.overlaps.push(wanted);
    },
    takeBusyMs() {
      const taken = pool.busyMs;
      pool.busyMs = 0;
      return taken;
    },
    close: () => Promise.resolve(),
  };
  return pool;
}

test('heavy preprocessing beside a session that holds every core moves to phases, light moves back', () => {
  assert.deepEqual(decideOverlap({preprocessMs: 700, inferenceMs: 1000}, 1, 1).overlap, 0);
  assert.deepEqual(decideOverlap({preprocessMs: 200, inferenceMs: 1000}, 1, 1), {overlap: 1});
  assert.deepEqual(decideOverlap({preprocessMs: 200, inferenceMs: 1000}, 0, 1), {overlap: 0});
  assert.deepEqual(decideOverlap({preprocessMs: 80, inferenceMs: 1000}, 0, 1).overlap, 1);
  assert.deepEqual(decideOverlap({preprocessMs: 80, inferenceMs: 0}, 0, 1), {overlap: 0});
  assert.ok(BESIDE_BELOW_SHARE < PHASES_ABOVE_SHARE / 2, 'a worker beside runs at about half speed');

  let now = 0;
  const budget = createCoreBudget(2, 1, () => now);
  /** One batch: the session runs for a second while the workers were busy `busyMs`. */
  const batch = (split: AdaptiveSplit, pool: ReturnType<typeof fakePool>, busyMs: number) => {
    split.batchStarting(now);
    budget.inferenceStarted(2);
    now += 1000;
    pool.busyMs = busyMs;
    budget.inferenceEnded(2);
    split.batchDone();
  };
  const pool = fakePool(1, 2);
  const split = createAdaptiveSplit({
    pool,
    budget,
    sessions: 1,
    adaptive: true,
    phases: true,
    clock: () => now,
  });
  // 12-megapixel photos: workers busy 800 ms per 1000 of inference. Phases, with a worker for each core.
  batch(split, pool, 800);
  assert.deepEqual(pool.overlaps, [0]);
  assert.deepEqual(pool.sizes, [2]);
  // The window right after a change mixes both arrangements: it is skipped, however light it looks.
  batch(split, pool, 0);
  assert.deepEqual(pool.overlaps, [0]);
  // Light images: 50 ms per 1000. Back beside the model.
  batch(split, pool, 50);
  assert.deepEqual(pool.overlaps, [0, 1]);
  assert.deepEqual(
    split.report().changes.map((change) => [change.workers, change.beside]),
    [
      [2, 0],
      [2, 1],
    ],
  );
  // Without phases (q8's one-thread sessions, many cores) the same window changes only the worker count.
  const other = fakePool(1, 2);
  batch(
    createAdaptiveSplit({pool: other, budget, sessions: 1, adaptive: true, clock: () => now}),
    other,
    800,
  );
  assert.deepEqual(other.overlaps, []);
});

test('during a run the split grows the pool while the model waits and parks it when batches queue', () => {
  let now = 0;
  const budget = createCoreBudget(2, 1, () => now);
  const pool = fakePool(1, 2);
  const split = createAdaptiveSplit({pool, budget, sessions: 1, adaptive: true, clock: () => now});
  // Window 1: the session runs 400 ms of each 1000 and waits for the rest: preprocessing is the bottleneck.
  split.batchStarting(now);
  budget.inferenceStarted(2);
  now = 400;
  budget.inferenceEnded(2);
  now = 1000;
  split.batchDone();
  assert.deepEqual(pool.sizes, [2]);
  // Windows 2 on: the model runs without a gap while each next batch waits 900 ms for it. A worker just added
  // is not parked at the next lull (PARK_HOLD_WINDOWS), then it is.
  budget.inferenceStarted(2);
  for (let window = 1; window <= PARK_HOLD_WINDOWS; window++) {
    split.batchStarting(now - 900);
    now += 1000;
    split.batchDone();
    assert.deepEqual(pool.sizes, window < PARK_HOLD_WINDOWS ? [2] : [2, 1], `window ${window + 1}`);
  }
  const report = split.report();
  assert.equal(report.adaptive, true);
  assert.deepEqual(
    report.changes.map((change) => [change.at_seconds, change.workers]),
    [
      [1, 2],
      [1 + PARK_HOLD_WINDOWS, 1],
    ],
  );
  assert.equal(report.workers_most, 2);
  assert.equal(report.workers_final, 1);
});

test('a fixed pool (the caller chose its size) is never resized', () => {
  let now = 0;
  const budget = createCoreBudget(2, 1, () => now);
  const pool = fakePool(1, 1);
  const split = createAdaptiveSplit({pool, budget, sessions: 1, adaptive: false, clock: () => now});
  split.batchStarting(0);
  now = 5000;
  split.batchDone();
  assert.deepEqual(pool.sizes, []);
  assert.equal(split.report().adaptive, false);
});
