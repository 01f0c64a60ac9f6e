/** The main screens at 80x24 and after a resize: nothing scrolls off the top, no line wraps, no stale header. */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {RunReport} from '../../source/core/run/run-pipeline.js';
import {RunProgressTracker} from '../../source/core/run/run-progress.js';
import {RUN_DEFAULTS} from '../../source/core/run/run-setup.js';
import type {SearchResult} from '../../source/core/search/searcher.js';
import {
  type CheckResult,
  VALIDATION_CHECKS,
  type ValidationReport,
} from '../../source/core/validate/types.js';
import {RunScreen} from '../../source/ui/run-screen.js';
import {initialRunViewState} from '../../source/ui/run-view-state.js';
import {SearchScreen} from '../../source/ui/search-screen.js';
import {SetupScreen} from '../../source/ui/setup-screen.js';
import {SummaryScreen} from '../../source/ui/summary-screen.js';
import {CLEAR_TERMINAL, clearOnShrink} from '../../source/ui/terminal-size.js';
import {ValidationScreen} from '../../source/ui/validation-screen.js';
import {eventually, KEYS, settle} from './keys.js';
import {FakeTerminal, fits, renderSized} from './sized-render.js';

const results: SearchResult[] = Array.from({length: 20}, (_, index) => ({
  rank: index + 1,
  id: index,
  file: `holiday/2024/a-rather-long-folder-name/with-a-longer-file-name-${index}.jpg`,
  score: 0.9 - index * 0.01,
}));

function fitsNow(lastFrame: () => string | undefined, terminal: FakeTerminal): void {
  assert.deepEqual(fits(lastFrame() ?? '', terminal), []);
}

describe('screens at 80x24', () => {
  test('search keeps its title and query line on screen and says how many results did not fit', async () => {
    const terminal = new FakeTerminal(80, 24);
    const {lastFrame, unmount} = renderSized(
      <SearchScreen
        search={async () => results}
        initialQuery="beach"
        subtitle={`20 images · ${'x'.repeat(120)}`}
      />,
      terminal,
    );
    await eventually(() => assert.match(lastFrame() ?? '', /results in/));
    const frame = lastFrame() ?? '';
    assert.match(frame, /^Search embeddings/);
    assert.match(frame, /› beach/);
    assert.match(frame, /… \d+ more/);
    fitsNow(lastFrame, terminal);
    unmount();
  });

  test('after a shrink the screen is cleared and redrawn to the new size', async () => {
    const terminal = new FakeTerminal(120, 40);
    const stop = clearOnShrink(terminal as unknown as NodeJS.WriteStream);
    const {lastFrame, unmount} = renderSized(
      <SearchScreen search={async () => results} initialQuery="beach" />,
      terminal,
    );
    await eventually(() => assert.match(lastFrame() ?? '', /20 results in/));
    assert.doesNotMatch(lastFrame() ?? '', /more/);
    const before = terminal.writes.length;
    terminal.resize(60, 16);
    await eventually(() => assert.match(lastFrame() ?? '', /… \d+ more/));
    const after = terminal.writes.slice(before);
    assert.ok(after.indexOf(CLEAR_TERMINAL) >= 0, 'the shrink clears the screen');
    assert.ok(after.indexOf(CLEAR_TERMINAL) < after.lastIndexOf(lastFrame() ?? ''), 'before the new frame');
    fitsNow(lastFrame, terminal);
    terminal.resize(100, 30);
    await eventually(() => assert.doesNotMatch(lastFrame() ?? '', /more/));
    assert.equal(
      terminal.writes.filter((write) => write === CLEAR_TERMINAL).length,
      1,
      'growing needs no clear',
    );
    stop();
    unmount();
  });

  test('set-up fits, whichever row has the focus', async () => {
    const terminal = new FakeTerminal(80, 24);
    const {lastFrame, stdin, unmount} = renderSized(
      <SetupScreen
        initial={{...RUN_DEFAULTS}}
        devices={[
          {device: 'cpu', available: true},
          {
            device: 'cuda',
            available: false,
            reason: 'not installed; install the CUDA build of onnxruntime-node',
          },
          {
            device: 'coreml',
            available: false,
            reason: 'not built for this platform; CoreML is only on macOS',
          },
          {
            device: 'dml',
            available: false,
            reason: 'not built for this platform; DirectML is only on Windows',
          },
          {device: 'webgpu', available: false, reason: 'cannot start here (no adapter); needs a GPU driver'},
        ]}
        models={[{name: 'ViT-B-32', installed: {fp32: true}}]}
        presets={[]}
        message="model gone not found (fix: run 'visual-cortex models pull gone --dtype fp32')"
        onStart={() => {}}
        onPull={() => {}}
        onSavePreset={() => {}}
        onDeletePreset={() => {}}
      />,
      terminal,
    );
    await eventually(() => assert.match(lastFrame() ?? '', /Set-up/));
    await settle(60);
    // Down through every row (the device row lists the unavailable devices under it), checking each frame.
    for (let step = 0; step < 20; step++) {
      fitsNow(lastFrame, terminal);
      stdin.write(KEYS.down);
      await settle(40);
    }
    await eventually(() => assert.match(lastFrame() ?? '', /› Delete preset/));
    fitsNow(lastFrame, terminal);
    unmount();
  });

  test('the run screen fits with eight workers', async () => {
    const terminal = new FakeTerminal(80, 24);
    const state = {
      ...initialRunViewState,
      stage: 'download' as const,
      workers: Array.from({length: 8}, (_, index) => ({
        id: index + 1,
        state: 'downloading' as const,
        url: `https://picsum.photos/seed/${'abc'.repeat(20)}/1024/768`,
        bytes: 1000 * index,
        attempt: 1,
      })),
    };
    const {lastFrame, unmount} = renderSized(
      <RunScreen state={state as unknown as typeof initialRunViewState} onInterrupt={() => {}} />,
      terminal,
    );
    await eventually(() => assert.ok((lastFrame() ?? '').length > 0));
    fitsNow(lastFrame, terminal);
    unmount();
  });

  test('the summary fits with long paths, every failure reason and five failed images', async () => {
    const terminal = new FakeTerminal(80, 24);
    const deep = `/home/someone/${'a-rather-long-folder-name/'.repeat(4)}`;
    const report: RunReport = {
      interrupted: true,
      stoppedDuring: 'embed',
      progress: new RunProgressTracker().snapshot(),
      imagesDir: `${deep}images`,
      embeddingsDir: `${deep}embeddings`,
      download: {
        provider: 'urls',
        imagesDir: `${deep}images`,
        requested: 1000,
        alreadyPresent: 200,
        kept: 500,
        total: 700,
        failed: 300,
        failedByReason: {timeout: 100, 'not-found': 80, 'too-small': 60, 'not-an-image': 40, 'http-5xx': 20},
        retries: 50,
        retriesByReason: {},
        duplicates: 12,
        attempts: 1100,
        bytes: 50_000_000,
        bytesReceived: 0,
        sourceError: 'the URL list ended after line 812: unreadable line',
        seconds: 60,
        interrupted: false,
        stopReason: null,
        cleanedTempFiles: 0,
        recoveredFiles: 0,
        files: [],
      } as unknown as RunReport['download'],
      embed: {
        ok: 650,
        failed: 50,
        failures: Array.from({length: 5}, (_, index) => ({
          file: `${'holiday-2024/'.repeat(4)}IMG_${index}.HEIC`,
          reason: 'undecodable: unsupported image format (convert it to JPEG or PNG and run again)',
        })),
        interrupted: true,
        imagesPerSecond: 12.5,
        outputFiles: [],
        cacheHits: 0,
        collection: null,
      } as unknown as RunReport['embed'],
      outputFiles: ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json'].map(
        (name) => `${deep}embeddings/${name}`,
      ),
      startedAt: '',
      finishedAt: '',
      seconds: 125,
    };
    const {lastFrame, unmount} = renderSized(
      <SummaryScreen
        report={report}
        actions={['validate', 'search', 'again', 'setup', 'quit']}
        onAction={() => {}}
      />,
      terminal,
    );
    await eventually(() => assert.match(lastFrame() ?? '', /\[q\] quit/));
    fitsNow(lastFrame, terminal);
    unmount();
  });

  test('validation fits when every check fails with many findings', async () => {
    const terminal = new FakeTerminal(80, 24);
    const results: CheckResult[] = VALIDATION_CHECKS.map((check) => ({
      id: check.id,
      index: check.index,
      title: check.title,
      status: 'failed',
      summary: `${check.title} failed: ${'a long explanation of what is wrong '.repeat(3)}`,
      details: Array.from({length: 6}, (_, index) => ({
        kind: 'fail' as const,
        message: `finding ${index}: ${'/a/rather/long/path/to/an/image/file.jpg '.repeat(2)}`,
      })),
      durationMs: 1,
    }));
    const report: ValidationReport = {
      embeddingsDir: '/out',
      passed: false,
      passedCount: 0,
      total: results.length,
      checks: results,
      interrupted: false,
      sample: 3,
      seed: 1,
    };
    const {lastFrame, unmount} = renderSized(
      <ValidationScreen
        run={async ({onEvent}) => {
          for (const result of results) {
            const check = {id: result.id, index: result.index, title: result.title};
            onEvent({type: 'check-started', check});
            onEvent({type: 'check-failed', check, result});
          }
          onEvent({type: 'verdict', report});
          return report;
        }}
      />,
      terminal,
    );
    await eventually(() => assert.match(lastFrame() ?? '', /0\/5 checks pass/));
    fitsNow(lastFrame, terminal);
    assert.match(lastFrame() ?? '', /more/);
    unmount();
  });
});
