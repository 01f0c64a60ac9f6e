// The installed command is dist/source/cli.js run through its shebang; that line sets glibc's malloc tuning,
// which cannot be set from inside Node (see the comment in source/cli.tsx).
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {delimiter, dirname} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

const CLI = fileURLToPath(new URL('../../dist/source/cli.js', import.meta.url));

test('the command started through its shebang runs with glibc malloc tuned', {
  skip: existsSync(CLI) ? false : 'dist/source/cli.js is not built (npm test builds it first)',
}, async () => {
  const {stdout, stderr} = await promisify(execFile)(CLI, ['--version'], {
    env: {
      ...process.env,
      MALLOC_ARENA_MAX: '',
      MALLOC_MMAP_THRESHOLD_: '',
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      // Preloaded into the started process: reports what its environment holds.
      NODE_OPTIONS:
        "--import=data:text/javascript,console.error('malloc',process.env.MALLOC_ARENA_MAX,process.env.MALLOC_MMAP_THRESHOLD_)",
    },
  });
  assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
  assert.match(stderr, /^malloc 2 1048576$/m);
});
