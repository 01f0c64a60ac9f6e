import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {after, before, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {downloadCommand} from '../../source/commands/download.js';
import {printSummary} from '../../source/commands/run.js';
import type {DownloadReport} from '../../source/core/download/types.js';
import type {RunReport} from '../../source/core/run/run-pipeline.js';
import {RunProgressTracker} from '../../source/core/run/run-progress.js';
import {RUN_DEFAULTS} from '../../source/core/run/run-setup.js';
import {endedShort, explainShortfall, runTakesFlag} from '../../source/core/run/shortfall.js';
import {DashboardApp} from '../../source/ui/dashboard-app.js';
import type {DashboardServices} from '../../source/ui/dashboard-services.js';
import {SummaryScreen} from '../../source/ui/summary-screen.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';
import {eventually, frameMatches, press, settle} from '../ui/keys.js';

function downloadReport(over: Partial<DownloadReport> = {}): DownloadReport {
  return {
    provider: 'picsum',
    imagesDir: 'data/images',
    requested: 100,
    alreadyPresent: 0,
    kept: 12,
    total: 12,
    failed: 88,
    failedByReason: {'too-small': 80, timeout: 8},
    retries: 0,
    retriesByReason: {},
    duplicates: 0,
    attempts: 100,
    bytes: 0,
    bytesReceived: 0,
    seconds: 3,
    interrupted: false,
    stopReason: 'attempt-budget',
    sourceError: null,
    cleanedTempFiles: 0,
    recoveredFiles: 0,
    files: [],
    ...over,
  };
}

function runReport(download: DownloadReport): RunReport {
  return {
    interrupted: false,
    stoppedDuring: null,
    progress: new RunProgressTracker().snapshot(),
    imagesDir: 'data/images',
    embeddingsDir: 'data/embeddings',
    download,
    embed: {
      ok: 12,
      failed: 0,
      failures: [],
      interrupted: false,
      imagesPerSecond: 10,
      outputFiles: [],
      cacheHits: 0,
      collection: null,
    },
    outputFiles: [],
    startedAt: '',
    finishedAt: '',
    seconds: 5,
  };
}

function capture() {
  let text = '';
  const stdout = Object.assign(new PassThrough(), {isTTY: false, columns: 100});
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return {io: {stdout, stderr: new PassThrough(), stdin: new PassThrough()}, text: () => text};
}

describe('why a download ended short', () => {
  test('the dominant failure reason and the flag that changes it', () => {
    assert.deepEqual(explainShortfall(downloadReport()), {
      missing: 88,
      why: 'most failures were too-small (80 of 88): bodies smaller than --min-bytes',
      fix: 'lower --min-bytes N (default 1024)',
    });
    const timeouts = explainShortfall(downloadReport({failed: 5, failedByReason: {timeout: 5}}));
    assert.equal(timeouts?.why, 'failures were timeout (all 5): attempts that ran out of time');
    assert.equal(timeouts?.fix, 'raise --timeout S, or use fewer --workers');
    const limited = explainShortfall(downloadReport({failedByReason: {'rate-limited': 70, reset: 18}}));
    assert.match(limited?.fix ?? '', /fewer --workers, or pause after each image with --sleep-ok S/);
  });

  test('without failures: duplicates, then the budget or the source that ran out', () => {
    const none = {failed: 0, failedByReason: {}};
    assert.match(
      explainShortfall(downloadReport({...none, duplicates: 40, stopReason: 'exhausted'}))?.why ?? '',
      /the source repeated images \(40 duplicates\)/,
    );
    assert.equal(
      explainShortfall(downloadReport({...none, stopReason: 'time-budget'}))?.fix,
      'raise --max-seconds S',
    );
    assert.equal(
      explainShortfall(downloadReport({...none, stopReason: 'attempt-budget'}))?.fix,
      'raise --max-attempts N',
    );
  });

  test('nothing to explain when the count was reached or the user stopped it', () => {
    assert.equal(explainShortfall(downloadReport({total: 100})), null);
    assert.equal(explainShortfall(downloadReport({interrupted: true, stopReason: 'aborted'})), null);
  });

  test('run takes every download flag, so its fix names the flag itself', () => {
    assert.equal(runTakesFlag('--workers'), true);
    assert.equal(runTakesFlag('--min-bytes'), true);
    assert.equal(explainShortfall(downloadReport(), runTakesFlag)?.fix, 'lower --min-bytes N (default 1024)');
  });

  test("run's plain summary and the dashboard's summary screen say it", () => {
    const out = capture();
    printSummary(out.io, runReport(downloadReport()));
    assert.match(out.text(), /^88 short of --count 100: most failures were too-small \(80 of 88\)/m);
    assert.match(out.text(), /^ {2}fix: lower --min-bytes N/m);
    const {lastFrame, unmount} = render(
      <SummaryScreen report={runReport(downloadReport())} actions={['quit']} onAction={() => {}} />,
    );
    const frame = lastFrame() ?? '';
    unmount();
    assert.match(
      frame,
      /88 short of 100: most failures were too-small \(80 of 88\): bodies smaller than --min-bytes/,
    );
    assert.match(frame, /fix: lower --min-bytes N \(default 1024\)/);
  });
});

describe('ending short exits 1', () => {
  test('endedShort: short, complete, interrupted', () => {
    assert.equal(endedShort(downloadReport()), true);
    assert.equal(endedShort(downloadReport({total: 100})), false);
    assert.equal(endedShort(downloadReport({interrupted: true})), false);
    assert.equal(endedShort(null), false);
  });

  test('the dashboard: a run that ended short shows why, and quitting reports 1', async () => {
    const services: DashboardServices = {
      devices: [{device: 'cpu', available: true}],
      listModels: async () => [{name: 'ViT-B-32', installed: {fp32: true}}],
      pullModel: async () => {},
      listPresets: () => [],
      savePreset: () => {},
      deletePreset: () => {},
      startRun: async () => runReport(downloadReport()),
      validate: () => new Promise(() => {}),
    };
    const exits: number[] = [];
    const {lastFrame, stdin, unmount} = render(
      <DashboardApp
        services={services}
        initialSetup={{...RUN_DEFAULTS, count: 100}}
        initialScreen="run"
        onExit={(code) => exits.push(code)}
        onForceExit={() => {}}
        renderIntervalMs={10}
      />,
    );
    await frameMatches(lastFrame, /88 short of 100/);
    await settle(50);
    await press(stdin, 'q');
    await eventually(() => assert.deepEqual(exits, [1]));
    unmount();
  });
});

describe('the download command, ending short', () => {
  let server: ImageServer;
  let work: string;
  before(async () => {
    server = await startImageServer({count: 5});
    work = await mkdtemp(join(tmpdir(), 'vc-shortfall-'));
  });
  after(async () => {
    await server.close();
    await rm(work, {recursive: true, force: true});
  });

  test('every body under --min-bytes: the summary names too-small and --min-bytes; exit 1', async () => {
    const out = capture();
    const code = await downloadCommand.run({
      input: [],
      flags: {
        provider: 'picsum',
        count: 4,
        workers: 2,
        minBytes: 10_000_000,
        maxAttempts: 6,
        imagesDir: join(work, 'small'),
        json: false,
      } as never,
      io: out.io,
      signal: new AbortController().signal,
      env: {VISUAL_CORTEX_PICSUM_URL: server.origin},
      explicitFlags: new Set(),
    });
    assert.equal(code, 1);
    assert.match(
      out.text(),
      /^4 short: failures were too-small \(all \d+\): bodies smaller than --min-bytes$/m,
    );
    assert.match(out.text(), /^ {2}fix: lower --min-bytes N \(default 1024\)$/m);
  });
});
