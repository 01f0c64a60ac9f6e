import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import type {DownloadEvent, DownloadTotals} from '../../source/core/download/types.js';
import type {RunEvent, RunReport} from '../../source/core/run/run-pipeline.js';
import {RunProgressTracker} from '../../source/core/run/run-progress.js';
import {RunScreen} from '../../source/ui/run-screen.js';
import {initialRunViewState, type RunViewState, reduceRunView} from '../../source/ui/run-view-state.js';
import {eventually, frameMatches, KEYS, press, settle} from './keys.js';

const totals = (over: Partial<DownloadTotals>): DownloadTotals => ({
  requested: 10,
  alreadyPresent: 2,
  toDownload: 8,
  kept: 0,
  failed: 0,
  failedByReason: {},
  retriesByReason: {},
  duplicates: 0,
  attempts: 0,
  bytes: 0,
  bytesReceived: 0,
  elapsedSeconds: 0,
  imagesPerSecond: 0,
  bytesPerSecond: 0,
  ...over,
});

const download = (event: DownloadEvent): RunEvent => ({type: 'download', event});

function reduceAll(events: RunEvent[]): RunViewState {
  return events.reduce(reduceRunView, initialRunViewState);
}

const downloadEvents: RunEvent[] = [
  download({
    type: 'start',
    provider: 'picsum',
    imagesDir: 'data/images',
    requested: 10,
    alreadyPresent: 2,
    toDownload: 8,
    workers: 2,
  }),
  download({
    type: 'worker',
    worker: 1,
    state: 'receiving',
    url: 'http://127.0.0.1/image/3.jpg',
    bytesReceived: 2048,
    bytesTotal: 4096,
    speed: 10240,
    attempt: 2,
    waitMs: 0,
  }),
  download({
    type: 'failed',
    worker: 0,
    url: 'http://127.0.0.1/x',
    reason: 'not-found',
    message: '404',
    attempts: 1,
  }),
  download({
    type: 'totals',
    totals: totals({
      kept: 4,
      failed: 1,
      failedByReason: {'not-found': 1},
      duplicates: 1,
      imagesPerSecond: 2,
      bytes: 5000,
    }),
  }),
];

describe('run view state', () => {
  test('download events become worker rows, totals and an ETA', () => {
    const state = reduceAll(downloadEvents);
    assert.equal(state.stage, 'download');
    assert.equal(state.workers.length, 2);
    assert.deepEqual(
      state.workers.map((row) => row.state),
      ['idle', 'receiving'],
    );
    assert.equal(state.download?.kept, 4);
    assert.equal(state.download?.etaSeconds, 2); // (8 - 4) / 2 img/s
    assert.deepEqual(state.recentFailures, ['not-found: http://127.0.0.1/x']);
  });

  test('embed events fill the embedding stage and memory; done keeps the report', () => {
    const state = reduceAll([
      ...downloadEvents,
      {type: 'embed', event: {type: 'scanned', total: 10, skipped: []}},
      {
        type: 'embed',
        event: {
          type: 'model-loaded',
          model: 'tiny-clip',
          dtype: 'fp32',
          device: 'cpu',
          dims: 512,
          file: 'onnx/vision_model.onnx',
          loadMs: 12,
        },
      },
      {
        type: 'embed',
        event: {
          type: 'batch',
          done: 4,
          total: 10,
          ok: 3,
          failed: 1,
          cacheHits: 0,
          batchSize: 4,
          batchMs: 400,
          imagesPerSecond: 10,
          averageImagesPerSecond: 8,
        },
      },
      {type: 'embed', event: {type: 'memory', rss: 200e6, heapUsed: 50e6, external: 10e6, arrayBuffers: 5e6}},
      {type: 'stopping', stage: 'embed'},
    ]);
    assert.equal(state.embed?.model, 'tiny-clip');
    assert.equal(state.embed?.done, 4);
    assert.equal(state.embed?.etaSeconds, 0.75);
    assert.equal(state.memory?.rss, 200e6);
    assert.equal(state.stopping, true);
    const done = reduceRunView(state, {type: 'done', report: {interrupted: true} as RunReport});
    assert.equal(done.stage, 'done');
    assert.equal(done.report?.interrupted, true);
  });
});

/** The pipeline's 'progress' events after each event that moves the run's figures, as run-pipeline.ts emits them. */
function withProgress(events: RunEvent[]): RunEvent[] {
  const tracker = new RunProgressTracker();
  return events.flatMap((event) => {
    const moved =
      event.type === 'download'
        ? tracker.onDownload(event.event)
        : event.type === 'embed' && tracker.onEmbed(event.event);
    return moved ? [event, {type: 'progress', progress: tracker.snapshot()} as RunEvent] : [event];
  });
}

const embedEvents: RunEvent[] = [
  {type: 'embed', event: {type: 'synced', kept: 0, toEmbed: 2, removed: 0, adopted: 0}},
  {
    type: 'embed',
    event: {
      type: 'batch',
      done: 3,
      total: 10,
      ok: 3,
      failed: 0,
      cacheHits: 1,
      batchSize: 3,
      batchMs: 300,
      imagesPerSecond: 10,
      averageImagesPerSecond: 2,
    },
  },
  {type: 'embed', event: {type: 'committed', shard: 's-0', rows: 3, total: 3}},
];

describe('run screen', () => {
  test('both stages at once: worker rows, embedding rate, rows committed, memory, one ETA', () => {
    const state = reduceAll(
      withProgress([
        ...downloadEvents,
        ...embedEvents,
        {
          type: 'embed',
          event: {type: 'memory', rss: 200 * 1024 * 1024, heapUsed: 1024, external: 2048, arrayBuffers: 0},
        },
      ]),
    );
    assert.equal(state.stage, 'download');
    // download: (8 - 4) / 2 img/s = 2 s; embed: (2 + 8 - 3) / 2 img/s = 3.5 s; the run ends with the later.
    assert.equal(state.progress?.etaSeconds, 3.5);
    const {lastFrame, unmount} = render(<RunScreen state={state} onInterrupt={() => {}} />);
    const frame = lastFrame() ?? '';
    unmount();
    assert.match(frame, /4\/8/);
    assert.match(frame, /\+2 already there/);
    assert.match(frame, /failed 1/);
    assert.match(frame, /duplicates 1/);
    assert.match(frame, /Run downloaded 4\/8 · embedded 3\/10 · committed 3 rows · ETA 00:04/);
    assert.equal(frame.match(/ETA/g)?.length, 1, 'one ETA for the whole run');
    assert.match(frame, /3\/10 ok 3 failed 0 cached 1 10 img\/s/);
    assert.match(frame, /committed 3 rows to the collection/);
    assert.match(frame, /w1 receiving/);
    assert.match(frame, /2\.0 KB\/4\.0 KB/);
    assert.match(frame, /retry 1/);
    assert.match(frame, /not-found 1/);
    assert.match(frame, /RSS 200 MB/);
    assert.match(frame, /Ctrl\+C stops gracefully/);
  });

  test('Ctrl+C is sent as intent, and the stopping state is shown', async () => {
    let interrupts = 0;
    const state = reduceAll([...downloadEvents, {type: 'stopping', stage: 'download'}]);
    const {lastFrame, stdin, unmount} = render(<RunScreen state={state} onInterrupt={() => interrupts++} />);
    await settle();
    await press(stdin, KEYS.ctrlC, KEYS.ctrlC);
    await eventually(() => assert.equal(interrupts, 2));
    await frameMatches(lastFrame, /stopping/);
    await frameMatches(lastFrame, /Ctrl\+C again quits/);
    unmount();
  });
});
