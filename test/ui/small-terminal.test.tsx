/** The main screens at 80x24 and after a resize: nothing scrolls off the top, no line wraps, no stale header. */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {RUN_DEFAULTS} from '../../source/core/run/run-setup.js';
import type {SearchResult} from '../../source/core/search/searcher.js';
import {RunScreen} from '../../source/ui/run-screen.js';
import {initialRunViewState} from '../../source/ui/run-view-state.js';
import {SearchScreen} from '../../source/ui/search-screen.js';
import {SetupScreen} from '../../source/ui/setup-screen.js';
import {CLEAR_TERMINAL, clearOnShrink} from '../../source/ui/terminal-size.js';
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
});
