import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import type {Preset} from '../../source/core/presets/preset-store.js';
import {RUN_DEFAULTS, type RunSetup} from '../../source/core/run/run-setup.js';
import type {DeviceAvailability} from '../../source/core/runtime/onnx.js';
import {SetupScreen, type SetupScreenProps} from '../../source/ui/setup-screen.js';
import {eventually, frameMatches, KEYS, press, settle} from './keys.js';

const devices: DeviceAvailability[] = [
  {device: 'cpu', available: true},
  {device: 'cuda', available: false, reason: 'not installed; install the CUDA build'},
  {device: 'webgpu', available: true},
];

function renderSetup(over: Partial<SetupScreenProps> = {}) {
  const calls = {
    start: [] as RunSetup[],
    pull: [] as string[],
    save: [] as [string, RunSetup][],
    deleted: [] as string[],
  };
  const props: SetupScreenProps = {
    initial: {...RUN_DEFAULTS},
    devices,
    models: [
      {name: 'ViT-B-32', installed: {fp32: true, q8: false}},
      {name: 'ViT-B-16', installed: {}},
    ],
    presets: [],
    onStart: (setup) => calls.start.push(setup),
    onPull: (model, dtype) => calls.pull.push(`${model}:${dtype}`),
    onSavePreset: (name, setup) => calls.save.push([name, setup]),
    onDeletePreset: (name) => calls.deleted.push(name),
    ...over,
  };
  return {...render(<SetupScreen {...props} />), calls};
}

/** Moves the focus to the row whose label contains `label`, one key at a time, waiting for each move to show. */
async function focusRow(
  stdin: {write(data: string): void},
  lastFrame: () => string | undefined,
  label: string,
) {
  const rows = () =>
    (lastFrame() ?? '').split('\n').filter((line) => line.startsWith('  ') || line.startsWith('›'));
  for (let step = 0; step < 40; step++) {
    const current = rows();
    const from = current.findIndex((line) => line.startsWith('›'));
    const to = current.findIndex((line) => line.includes(label));
    if (from === -1 || to === -1) throw new Error(`row ${label} not found in:\n${lastFrame()}`);
    if (from === to) return;
    stdin.write(to > from ? KEYS.down : KEYS.up);
    // On a loaded machine a key can land while the screen re-attaches its input handler: when the focus has not
    // moved within a second, the next step sends it again (a late move is corrected by the step after).
    await eventually(
      () =>
        assert.notEqual(
          rows().findIndex((line) => line.startsWith('›')),
          from,
        ),
      1000,
    ).catch(() => undefined);
  }
  throw new Error(`could not focus ${label}`);
}

describe('set-up screen', () => {
  test('shows defaults with every field, and starts with the parsed set-up', async () => {
    const {lastFrame, stdin, unmount, calls} = renderSetup();
    await frameMatches(lastFrame, /Provider\s+‹ picsum ›/);
    await frameMatches(lastFrame, /Width\s+1024/);
    await frameMatches(lastFrame, /Model\s+ViT-B-32 ✓ installed/);
    await focusRow(stdin, lastFrame, 'Start run');
    await press(stdin, KEYS.enter);
    await eventually(() => assert.equal(calls.start.length, 1));
    unmount();
    assert.deepEqual(calls.start[0], {...RUN_DEFAULTS});
  });

  test('provider choice changes the fields shown; invalid input is marked and blocks the start', async () => {
    const {lastFrame, stdin, unmount, calls} = renderSetup();
    await settle();
    await press(stdin, KEYS.right, KEYS.right); // picsum → unsplash → custom
    await frameMatches(lastFrame, /URL template/);
    await focusRow(stdin, lastFrame, 'Images');
    // One key per frame, each checked, so that a failure names the edit that went wrong (fast keys are the
    // test below).
    for (const [key, shown] of [
      [KEYS.backspace, /› Images\s+10\n/],
      [KEYS.backspace, /› Images\s+1\s/],
      [KEYS.backspace, /› Images\s+✗/],
      ['x', /Images\s+x\s+✗ enter a whole number/],
    ] as const) {
      await press(stdin, key);
      await frameMatches(lastFrame, shown);
    }
    await focusRow(stdin, lastFrame, 'Start run');
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /fix the fields marked in red/);
    await frameMatches(lastFrame, /URL template\s+✗ enter an http\(s\) URL template/);
    assert.equal(calls.start.length, 0);
    unmount();
  });

  test('only available devices are selectable; the others are listed with why', async () => {
    const {lastFrame, stdin, unmount} = renderSetup();
    await settle();
    await focusRow(stdin, lastFrame, 'Device');
    await frameMatches(lastFrame, /cuda: unavailable, not installed/);
    await press(stdin, KEYS.right);
    await frameMatches(lastFrame, /Device\s+‹ webgpu ›/);
    await press(stdin, KEYS.right);
    await frameMatches(lastFrame, /Device\s+‹ cpu ›/);
    unmount();
  });

  test('a missing model dtype offers the pull action', async () => {
    const {lastFrame, stdin, unmount, calls} = renderSetup();
    await settle();
    await focusRow(stdin, lastFrame, 'Dtype');
    await press(stdin, KEYS.right); // fp32 → q8, not installed
    await frameMatches(lastFrame, /missing \(choose Pull model\)/);
    await focusRow(stdin, lastFrame, '⇣ Pull model');
    await press(stdin, KEYS.enter);
    await eventually(() => assert.deepEqual(calls.pull, ['ViT-B-32:q8']));
    unmount();
  });

  test('a message about the values goes once they are edited; fixed fields lose their marks', async () => {
    const {lastFrame, stdin, unmount, calls} = renderSetup({message: 'model gone not found (fix: pull it)'});
    await frameMatches(lastFrame, /model gone not found/);
    await focusRow(stdin, lastFrame, 'Images');
    await press(stdin, 'x');
    await frameMatches(lastFrame, /Images\s+100x\s+✗/);
    assert.doesNotMatch(lastFrame() ?? '', /model gone not found/);
    await focusRow(stdin, lastFrame, 'Start run');
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /fix the fields marked in red/);
    await focusRow(stdin, lastFrame, 'Images');
    await press(stdin, KEYS.backspace);
    await frameMatches(lastFrame, /› Images\s+100\n/);
    assert.doesNotMatch(lastFrame() ?? '', /fix the fields|✗/);
    assert.equal(calls.start.length, 0);
    unmount();
  });

  test('a Hub id outside the registry offers the pull action too', async () => {
    const {lastFrame, stdin, unmount, calls} = renderSetup({
      initial: {...RUN_DEFAULTS, model: 'someone/clip-x'},
    });
    await frameMatches(lastFrame, /someone\/clip-x\s+missing \(choose Pull model\)/);
    await focusRow(stdin, lastFrame, '⇣ Pull model');
    await press(stdin, KEYS.enter);
    await eventually(() => assert.deepEqual(calls.pull, ['someone/clip-x:fp32']));
    unmount();
  });

  test('presets: save under a name, load one, delete one', async () => {
    const presets: Preset[] = [
      {name: 'tiny', values: {count: 5, workers: 1}, savedAt: '2026-01-01T00:00:00Z'},
    ];
    const {lastFrame, stdin, unmount, calls} = renderSetup({presets});
    await settle();
    await focusRow(stdin, lastFrame, 'Load preset');
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /Load which preset/);
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /loaded preset 'tiny'/);
    await frameMatches(lastFrame, /Images\s+5/);
    await focusRow(stdin, lastFrame, 'Save as preset');
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /Preset name:/);
    // One key per frame (see the Images edit above).
    for (const [key, shown] of [
      ['b', /Preset name: b/],
      ['a', /Preset name: ba/],
      ['d', /Preset name: bad/],
      ['/', /Preset name: bad\//],
      [KEYS.enter, /invalid name/],
      [KEYS.backspace, /Preset name: bad(?!\/)/],
    ] as const) {
      await press(stdin, key);
      await frameMatches(lastFrame, shown);
    }
    await press(stdin, KEYS.enter);
    await eventually(() => assert.equal(calls.save.length, 1));
    assert.equal(calls.save[0]?.[0], 'bad');
    assert.equal(calls.save[0]?.[1].count, 5);
    await focusRow(stdin, lastFrame, 'Delete preset');
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /Delete which preset/);
    await press(stdin, KEYS.enter);
    await eventually(() => assert.deepEqual(calls.deleted, ['tiny']));
    unmount();
  });

  test('keys that arrive before the next render all count (fast typing, pasted key runs)', async () => {
    const presets: Preset[] = [{name: 'tiny', values: {count: 5}, savedAt: '2026-01-01T00:00:00Z'}];
    const {lastFrame, stdin, unmount} = renderSetup({presets});
    await settle();
    for (let step = 0; step < 3; step++) stdin.write(KEYS.down);
    await settle();
    await frameMatches(lastFrame, /› Images/);
    await focusRow(stdin, lastFrame, 'Save as preset');
    stdin.write(KEYS.down);
    stdin.write(KEYS.enter);
    await frameMatches(lastFrame, /Load which preset/);
    unmount();
  });

  test('a key typed right after a focus move edits the field the focus moved to', async () => {
    const {lastFrame, stdin, unmount} = renderSetup();
    await settle();
    await focusRow(stdin, lastFrame, 'Images');
    await frameMatches(lastFrame, /› Images\s+100/);
    // Both keys before the screen re-renders: the old field's handler is still the one subscribed then.
    stdin.write(KEYS.up);
    stdin.write(KEYS.backspace);
    await frameMatches(lastFrame, /› Height\s+76\s/);
    assert.match(lastFrame() ?? '', /Images\s+100\n/);
    unmount();
  });

  test('text typed faster than the screen renders keeps every key, and the cursor edits in place', async () => {
    const {lastFrame, stdin, unmount, calls} = renderSetup();
    await settle();
    await focusRow(stdin, lastFrame, 'Images');
    for (const key of [KEYS.backspace, KEYS.backspace, KEYS.backspace, '4', '2']) stdin.write(key);
    await frameMatches(lastFrame, /› Images\s+42\s/);
    // Keys that reach Ink in one chunk come as one string, backspaces (DEL) included.
    stdin.write(`${KEYS.backspace}${KEYS.backspace}\u0007x${KEYS.backspace}42`);
    await frameMatches(lastFrame, /› Images\s+42\s/);
    for (const key of [KEYS.left, KEYS.left, '1', KEYS.right, KEYS.backspace]) stdin.write(key);
    await frameMatches(lastFrame, /› Images\s+12\s/);
    await focusRow(stdin, lastFrame, 'Start run');
    await press(stdin, KEYS.enter);
    await eventually(() => assert.equal(calls.start[0]?.count, 12));
    unmount();
  });

  test('an unreadable presets file is a message, not a crash', async () => {
    const {lastFrame, stdin, unmount} = renderSetup({
      presets: {error: 'presets unavailable: file is corrupt'},
    });
    await settle();
    await focusRow(stdin, lastFrame, 'Load preset');
    await press(stdin, KEYS.enter);
    await frameMatches(lastFrame, /presets unavailable: file is corrupt/);
    unmount();
  });
});
