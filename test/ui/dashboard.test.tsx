import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import type {DownloadReport} from '../../source/core/download/types.js';
import type {RunEvent, RunReport} from '../../source/core/run/run-pipeline.js';
import {RunProgressTracker} from '../../source/core/run/run-progress.js';
import {RUN_DEFAULTS, type RunSetup} from '../../source/core/run/run-setup.js';
import {DashboardApp} from '../../source/ui/dashboard-app.js';
import type {DashboardServices} from '../../source/ui/dashboard-services.js';
import {type SummaryAction, SummaryScreen} from '../../source/ui/summary-screen.js';
import {eventually, frameMatches, KEYS, press, settle} from './keys.js';

const downloadReport: DownloadReport = {
  provider: 'picsum',
  imagesDir: 'data/images',
  requested: 10,
  alreadyPresent: 2,
  kept: 5,
  total: 7,
  failed: 3,
  failedByReason: {timeout: 2, 'not-found': 1},
  retries: 4,
  retriesByReason: {},
  duplicates: 1,
  attempts: 12,
  bytes: 10_000,
  bytesReceived: 0,
  sourceError: null,
  seconds: 3,
  interrupted: true,
  stopReason: 'aborted',
  cleanedTempFiles: 0,
  recoveredFiles: 0,
  files: [],
};

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    interrupted: false,
    stoppedDuring: null,
    progress: new RunProgressTracker().snapshot(),
    imagesDir: 'data/images',
    embeddingsDir: 'data/embeddings',
    download: downloadReport,
    embed: {
      ok: 6,
      failed: 1,
      failures: [{file: 'bad.jpg', reason: 'undecodable'}],
      interrupted: false,
      imagesPerSecond: 12.5,
      outputFiles: ['data/embeddings/image_embeddings.npy'],
      cacheHits: 0,
      collection: null,
    },
    outputFiles: ['data/embeddings/image_embeddings.npy'],
    startedAt: '',
    finishedAt: '',
    seconds: 65,
    ...over,
  };
}

describe('summary screen', () => {
  test('shows totals, failure reasons, output paths and next actions; keys send the action', async () => {
    const actions: SummaryAction[] = [];
    const {lastFrame, stdin, unmount} = render(
      <SummaryScreen
        report={report()}
        actions={['validate', 'search', 'again', 'quit']}
        onAction={(action) => actions.push(action)}
      />,
    );
    await settle();
    const frame = lastFrame() ?? '';
    assert.match(frame, /Run complete in 01:05/);
    assert.match(frame, /5 new \+ 2 already there = 7 images/);
    assert.match(frame, /timeout: 2/);
    assert.match(frame, /not-found: 1/);
    assert.match(frame, /bad\.jpg: undecodable/);
    assert.match(frame, /Output: data\/embeddings\/image_embeddings\.npy/);
    assert.match(frame, /\[v\] validate/);
    assert.match(frame, /\[r\] run again \(resumes/);
    await press(stdin, 'v', 's', 'r', 'x', 'q');
    await eventually(() => assert.deepEqual(actions, ['validate', 'search', 'again', 'quit']));
    unmount();
  });

  test('an interrupted run before embedding says the earlier outputs are untouched', () => {
    const {lastFrame, unmount} = render(
      <SummaryScreen
        report={report({interrupted: true, stoppedDuring: 'download', embed: null, outputFiles: []})}
        actions={['again', 'quit']}
        onAction={() => {}}
      />,
    );
    const frame = lastFrame() ?? '';
    unmount();
    assert.match(frame, /stopped during download \(interrupted\)/);
    assert.match(frame, /earlier outputs untouched/);
  });
});

/** A fake run that emits a few events and then waits for the abort, like a long download. */
function fakeServices(log: string[]): DashboardServices {
  return {
    devices: [{device: 'cpu', available: true}],
    listModels: async () => [{name: 'ViT-B-32', installed: {fp32: true}}],
    pullModel: async () => {},
    listPresets: () => [],
    savePreset: () => {},
    deletePreset: () => {},
    startRun(setup: RunSetup, signal: AbortSignal, onEvent: (event: RunEvent) => void) {
      log.push(`start ${setup.count}`);
      onEvent({
        type: 'download',
        event: {
          type: 'start',
          provider: 'picsum',
          imagesDir: setup.imagesDir,
          requested: setup.count,
          alreadyPresent: 0,
          toDownload: setup.count,
          workers: 1,
        },
      });
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          log.push('aborted');
          onEvent({type: 'stopping', stage: 'download'});
          // The graceful stop takes a moment (the current batch finishes).
          setTimeout(() => resolve(report({interrupted: true, stoppedDuring: 'download', embed: null})), 300);
        });
      });
    },
    validate(embeddingsDir) {
      log.push(`validate ${embeddingsDir}`);
      return new Promise(() => {});
    },
  };
}

describe('dashboard app', () => {
  test('run → first Ctrl+C stops gracefully → summary; quit reports the exit code', async () => {
    const log: string[] = [];
    const exits: number[] = [];
    let forced = 0;
    const {lastFrame, stdin, unmount} = render(
      <DashboardApp
        services={fakeServices(log)}
        initialSetup={{...RUN_DEFAULTS, count: 3}}
        initialScreen="run"
        onExit={(code) => exits.push(code)}
        onForceExit={() => forced++}
        renderIntervalMs={10}
      />,
    );
    await frameMatches(lastFrame, /0\/3/);
    await settle(50); // Ink subscribes useInput in an effect, just after the first frame is drawn
    await press(stdin, KEYS.ctrlC);
    await eventually(() => assert.deepEqual(log, ['start 3', 'aborted']));
    await frameMatches(lastFrame, /stopping/);
    await frameMatches(lastFrame, /Run stopped during download/);
    assert.equal(forced, 0);
    await press(stdin, 'q');
    await eventually(() => assert.deepEqual(exits, [130]));
    unmount();
  });

  test('a second Ctrl+C during the run asks the owner to quit at once', async () => {
    let forced = 0;
    const services = fakeServices([]);
    services.startRun = () => new Promise(() => {}); // never finishes gracefully
    const {lastFrame, stdin, unmount} = render(
      <DashboardApp
        services={services}
        initialSetup={{...RUN_DEFAULTS}}
        initialScreen="run"
        onExit={() => {}}
        onForceExit={() => forced++}
      />,
    );
    await frameMatches(lastFrame, /Ctrl\+C stops gracefully/);
    await settle(50);
    await press(stdin, KEYS.ctrlC);
    assert.equal(forced, 0);
    await press(stdin, KEYS.ctrlC);
    await eventually(() => assert.equal(forced, 1));
    unmount();
  });

  test('menu → set-up → start; the validation screen is mounted from the menu', async () => {
    const log: string[] = [];
    const {lastFrame, stdin, unmount} = render(
      <DashboardApp
        services={fakeServices(log)}
        initialSetup={{...RUN_DEFAULTS, count: 4}}
        initialScreen="menu"
        onExit={() => {}}
        onForceExit={() => {}}
      />,
    );
    await settle();
    await frameMatches(lastFrame, /New run/);
    await frameMatches(lastFrame, /Validate outputs/);
    // Both keys before the menu re-renders (a fast typist, a busy machine): Enter takes the item ↓ moved to.
    stdin.write(KEYS.down);
    stdin.write(KEYS.enter);
    await eventually(() => assert.deepEqual(log, ['validate data/embeddings']));
    await frameMatches(lastFrame, /Esc back/);
    log.length = 0;
    unmount();

    const second = render(
      <DashboardApp
        services={fakeServices(log)}
        initialSetup={{...RUN_DEFAULTS, count: 4}}
        initialScreen="menu"
        onExit={() => {}}
        onForceExit={() => {}}
      />,
    );
    await frameMatches(second.lastFrame, /New run/);
    await press(second.stdin, KEYS.enter);
    await frameMatches(second.lastFrame, /Set-up/);
    for (let step = 0; step < 13; step++) await press(second.stdin, KEYS.down);
    await frameMatches(second.lastFrame, /› ▶ Start run/);
    await press(second.stdin, KEYS.enter);
    await eventually(() => assert.deepEqual(log, ['start 4']));
    second.unmount();
  });
});
