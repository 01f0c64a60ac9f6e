import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';

test('closing the preprocessing pool keeps the process alive until its workers have exited', () => {
  // Seen before the fix: a run's final close left pending with nothing else to do, the event loop drained and
  // the run's promise never settled (about 1 test run in 20; this child hit it every time).
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('children/close-pools.ts', import.meta.url))],
    {encoding: 'utf8', timeout: HANG_GUARD_MS},
  );
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'all closed');
});

test('closing a pool at any moment, while its workers start or decode, never takes the process down', () => {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('children/close-pools-early.ts', import.meta.url))],
    {encoding: 'utf8', timeout: HANG_GUARD_MS},
  );
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  assert.equal(child.stdout.trim(), 'closed 40 pools');
});
