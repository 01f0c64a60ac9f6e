import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {UserError} from '../../source/core/errors.js';
import {
  type CheckInfo,
  type CheckResult,
  VALIDATION_CHECKS,
  type ValidationEvent,
  type ValidationReport,
} from '../../source/core/validate/types.js';
import {ValidationScreen, type ValidationScreenProps} from '../../source/ui/validation-screen.js';

const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first frame that matches, polling while Ink and React settle (fails after 3 s). */
async function frameMatching(screen: {lastFrame(): string | undefined}, pattern: RegExp): Promise<string> {
  for (let waited = 0; waited < 3000; waited += 20) {
    const frame = screen.lastFrame() ?? '';
    if (pattern.test(frame)) return frame;
    await settle(20);
  }
  assert.fail(`no frame matched ${pattern}; last frame:\n${screen.lastFrame()}`);
}
const SPINNER_FRAMES = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

const info = (index: number): CheckInfo => {
  const check = VALIDATION_CHECKS[index - 1];
  if (!check) throw new Error(`no check ${index}`);
  return {id: check.id, index: check.index, title: check.title};
};

const result = (
  index: number,
  status: CheckResult['status'],
  summary: string,
  details: CheckResult['details'] = [],
) => ({
  ...info(index),
  status,
  summary,
  details,
  durationMs: 1,
});

/** A run the test steps through: each `release()` lets the next scripted batch of events out. */
function scriptedRun(batches: ValidationEvent[][]) {
  const gates: (() => void)[] = [];
  let aborted = false;
  const run: ValidationScreenProps['run'] = async ({signal, onEvent}) => {
    signal.addEventListener('abort', () => {
      aborted = true;
    });
    let report: ValidationReport | undefined;
    for (const batch of batches) {
      for (const event of batch) {
        onEvent(event);
        if (event.type === 'verdict') report = event.report;
      }
      if (report) return report;
      await new Promise<void>((resolve) => gates.push(resolve));
    }
    return {...REPORT, interrupted: true};
  };
  return {run, release: () => gates.shift()?.(), wasAborted: () => aborted};
}

const REPORT: ValidationReport = {
  embeddingsDir: '/out',
  passed: false,
  passedCount: 4,
  total: 5,
  checks: [],
  interrupted: false,
  sample: 3,
  seed: 1,
};

describe('ValidationScreen', () => {
  test('shows a spinner while a check runs, then ✓ or ✗ with the details that explain a failure', async () => {
    const failed = result(5, 'failed', 'spot check: a.jpg re-embeds at cosine 0.98', [
      {kind: 'ok', message: '8 x 512 float32, finite, unit rows'},
      {kind: 'fail', message: 'spot check: a.jpg re-embeds at cosine 0.98'},
    ]);
    const report = REPORT;
    const script = scriptedRun([
      [{type: 'check-started', check: info(1)}],
      [
        {type: 'check-passed', check: info(1), result: result(1, 'passed', '3 outputs parse; 8 rows x 512')},
        {type: 'check-started', check: info(5)},
        {type: 'check-progress', check: info(5), message: 're-embedding 1/3: a.jpg'},
      ],
      [
        {type: 'check-failed', check: info(5), result: failed},
        {type: 'verdict', report},
      ],
    ]);
    let done: ValidationReport | undefined;
    const screen = render(<ValidationScreen run={script.run} onDone={(value) => (done = value)} />);
    let frame = await frameMatching(screen, SPINNER_FRAMES);
    assert.match(frame, /1\/5 Structure/);
    assert.match(frame, /· 2\/5 Imports \/ runtime/);

    script.release();
    frame = await frameMatching(screen, /re-embedding/);
    assert.match(frame, /✓ 1\/5 Structure 3 outputs parse; 8 rows x 512/);
    assert.match(frame, /5\/5 Embeddings re-embedding 1\/3: a\.jpg/);
    assert.match(frame, SPINNER_FRAMES);

    script.release();
    frame = await frameMatching(screen, /checks pass/);
    assert.match(frame, /✗ 5\/5 Embeddings spot check: a\.jpg re-embeds at cosine 0\.98/);
    assert.match(frame, /✗ spot check: a\.jpg re-embeds at cosine 0\.98/);
    assert.match(frame, /✓ 8 x 512 float32/);
    assert.match(frame, /4\/5 checks pass/);
    assert.doesNotMatch(frame, SPINNER_FRAMES);
    assert.equal(done, report);
    screen.unmount();
  });

  test('skipped checks say why; a user error shows its fix; unmounting aborts the run', async () => {
    const script = scriptedRun([
      [
        {
          type: 'check-skipped',
          check: info(3),
          result: result(3, 'skipped', 'needs outputs that parse (check 1 Structure failed)'),
        },
      ],
    ]);
    const screen = render(<ValidationScreen run={script.run} />);
    await frameMatching(screen, /- 3\/5 Errors skipped: needs outputs that parse/);
    screen.unmount();
    assert.ok(script.wasAborted());

    const failing = render(
      <ValidationScreen
        run={async () => {
          throw new UserError('no output folder at /x', 'pass --dir');
        }}
      />,
    );
    await frameMatching(failing, /error: no output folder at \/x[\s\S]*fix: pass --dir/);
    failing.unmount();
  });
});
