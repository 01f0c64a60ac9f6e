/** `visual-cortex duplicates ARGS` in a child process, as users run it. */
import {spawnSync} from 'node:child_process';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';

export function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'source/cli.tsx', 'duplicates', ...args], {
    encoding: 'utf8',
    timeout: HANG_GUARD_MS,
  });
  return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}
