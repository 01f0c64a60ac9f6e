import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {describe, test} from 'node:test';
import {presetsCommand} from '../../source/commands/presets.js';
import {plainPrinter} from '../../source/commands/run.js';
import type {DownloadReport} from '../../source/core/download/types.js';
import {UserError} from '../../source/core/errors.js';
import {type RunEvent, type RunStages, runPipeline} from '../../source/core/run/run-pipeline.js';
import {RunProgressTracker} from '../../source/core/run/run-progress.js';
import {assertRunSetup, RUN_DEFAULTS} from '../../source/core/run/run-setup.js';

const downloadReport = (interrupted: boolean): DownloadReport => ({
  provider: 'picsum',
  imagesDir: 'images',
  requested: 3,
  alreadyPresent: 0,
  kept: 2,
  total: 2,
  failed: 0,
  failedByReason: {},
  retries: 0,
  retriesByReason: {},
  duplicates: 0,
  attempts: 2,
  bytes: 10,
  bytesReceived: 0,
  sourceError: null,
  seconds: 1,
  interrupted,
  stopReason: interrupted ? 'aborted' : 'complete',
  cleanedTempFiles: 0,
  recoveredFiles: 0,
  files: [],
});

function fakeStages(log: string[], controller?: AbortController): RunStages {
  return {
    async preflight() {
      log.push('preflight');
    },
    async download(_setup, context) {
      log.push('download');
      context.onEvent({type: 'totals', totals: {} as never});
      controller?.abort();
      return downloadReport(context.signal.aborted);
    },
    async embed(_setup, context) {
      log.push(context.signal.aborted ? 'embed (stopped)' : 'embed');
      context.onEvent({type: 'writing'});
      return {
        ok: 2,
        failed: 0,
        failures: [],
        interrupted: false,
        imagesPerSecond: 5,
        outputFiles: ['a', 'b', 'c'],
        cacheHits: 0,
        collection: {
          shards: 1,
          liveRows: 2,
          appended: 2,
          kept: 0,
          removed: 0,
          adopted: [],
          viewWritten: true,
        },
      };
    },
  };
}

describe('run pipeline', () => {
  test('download and embed run at once, events wrapped by stage, report combined', async () => {
    const log: string[] = [];
    const events: RunEvent['type'][] = [];
    const report = await runPipeline({
      ...RUN_DEFAULTS,
      signal: new AbortController().signal,
      stages: fakeStages(log),
      onEvent: (event) => events.push(event.type),
    });
    assert.deepEqual(log, ['preflight', 'download', 'embed']);
    assert.deepEqual(events, ['download', 'progress', 'embed', 'done']);
    assert.equal(report.interrupted, false);
    assert.deepEqual(report.outputFiles, ['a', 'b', 'c']);
  });

  test('a stop during the download stops both stages: the embedder sees the signal', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const events: RunEvent[] = [];
    const report = await runPipeline({
      ...RUN_DEFAULTS,
      signal: controller.signal,
      stages: fakeStages(log, controller),
      onEvent: (event) => events.push(event),
    });
    assert.deepEqual(log, ['preflight', 'download', 'embed (stopped)']);
    assert.equal(report.interrupted, true);
    assert.equal(report.stoppedDuring, 'download');
    assert.ok(events.some((event) => event.type === 'stopping'));
  });

  test('a preflight failure (missing model) stops before any download', async () => {
    const log: string[] = [];
    const stages = fakeStages(log);
    stages.preflight = async () => {
      throw new UserError('model missing', 'pull it');
    };
    await assert.rejects(
      runPipeline({...RUN_DEFAULTS, signal: new AbortController().signal, stages}),
      /model missing/,
    );
    assert.deepEqual(log, []);
  });

  test('invalid set-ups are one UserError naming each flag', () => {
    assert.throws(
      () => assertRunSetup({...RUN_DEFAULTS, count: 0, provider: 'custom', url: 'ftp://x'}),
      (error: unknown) =>
        error instanceof UserError && /--count/.test(error.message) && /--url/.test(error.message),
    );
  });

  test('plain lines without a TTY', () => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (chunk) => {
      text += chunk;
    });
    const print = plainPrinter({stdout, stderr: stdout, stdin: new PassThrough()}, () => 5000);
    const progress = new RunProgressTracker();
    progress.onDownload({type: 'start', toDownload: 4} as never);
    print({type: 'progress', progress: progress.snapshot()});
    print({type: 'embed', event: {type: 'committed', shard: 's-1', rows: 2, total: 2}});
    print({
      type: 'embed',
      event: {
        type: 'batch',
        done: 2,
        total: 2,
        ok: 2,
        failed: 0,
        cacheHits: 0,
        batchSize: 2,
        batchMs: 100,
        imagesPerSecond: 20,
        averageImagesPerSecond: 20,
      },
    });
    print({type: 'embed', event: {type: 'failure', file: 'x.jpg', reason: 'undecodable'}});
    assert.match(
      text,
      /run: downloaded 0\/4, embedded 0\/4, committed 0 rows, ETA --\nembed: committed shard s-1 \(2 rows, 2 this run\)\nembed: 2\/2 \(0 failed\), 20\.0 img\/s, batch 100 ms\n {2}failed: x\.jpg: undecodable\n/,
    );
  });
});

describe('presets command', () => {
  test('save keeps typed and non-default flags; list, show, delete; errors are UserErrors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vc-presets-cmd-'));
    try {
      const env = {VISUAL_CORTEX_CONFIG_DIR: dir};
      const run = async (input: string[], flags: Record<string, unknown> = {}, explicit: string[] = []) => {
        const stdout = new PassThrough();
        let text = '';
        stdout.on('data', (chunk) => {
          text += chunk;
        });
        const code = await presetsCommand.run({
          input,
          flags: {...RUN_DEFAULTS, json: false, ...flags} as never,
          io: {stdout, stderr: stdout, stdin: new PassThrough()},
          signal: new AbortController().signal,
          env,
          explicitFlags: new Set(explicit),
        });
        return {code, text};
      };
      const saved = await run(['save', 'small'], {count: 20, workers: 8}, ['count', 'workers']);
      assert.equal(saved.code, 0);
      assert.match(saved.text, /saved preset 'small': --count 20 --workers 8/);
      assert.match((await run(['list'])).text, /small\s+--count 20 --workers 8/);
      assert.match((await run(['show', 'small'])).text, /--count 20/);
      assert.match((await run(['delete', 'small'])).text, /deleted preset 'small'/);
      await assert.rejects(run(['delete', 'small']), /no preset named 'small'/);
      await assert.rejects(run(['frobnicate']), /unknown presets action/);
      await writeFile(join(dir, 'presets.json'), 'not json');
      await assert.rejects(
        run(['list']),
        (error: unknown) => error instanceof UserError && /corrupt/.test(error.message),
      );
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });
});
