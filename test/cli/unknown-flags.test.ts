import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import type {AnyFlags} from 'meow';
import {globalFlags} from '../../source/commands/command.js';
import {runFlags} from '../../source/commands/run.js';
import {findUnknownFlags, unknownFlagError} from '../../source/commands/unknown-flags.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const specs: AnyFlags = {
  ...globalFlags,
  ...runFlags,
  limit: {type: 'number', shortFlag: 'k'},
  images: {type: 'string', aliases: ['outputDir']},
};

describe('unknown flags', () => {
  test('every declared spelling is known', () => {
    const argv = [
      '--count',
      '5',
      '--count=5',
      '--embeddings-dir',
      'out',
      '--embeddingsDir=out',
      '--no-json',
      '--models-dir',
      'm',
      '--output-dir',
      'imgs',
      '--images',
      'imgs',
      '-k',
      '3',
      '-k=3',
      '--max-seconds',
      '-1',
      '--help',
      'positional',
    ];
    assert.deepEqual(findUnknownFlags(argv, specs), []);
  });

  test('unknown long, negated and short flags are named as typed; nothing after -- counts', () => {
    const argv = ['--cout', '5', '--no-cout', '--widht=3', '-x', '-kx', '--', '--after'];
    assert.deepEqual(findUnknownFlags(argv, specs), ['--cout', '--no-cout', '--widht', '-x', '-kx']);
  });

  test('the message names the closest flag and where to look', () => {
    const error = unknownFlagError(['--cout', '5'], specs, 'visual-cortex run');
    assert.equal(error?.message, 'unknown flag --cout (did you mean --count?)');
    assert.equal(error?.hint, "run 'visual-cortex run --help' for its options");
    assert.equal(
      unknownFlagError(['--no-embedings-dir'], specs, 'x')?.message,
      'unknown flag --no-embedings-dir (did you mean --embeddings?)',
    );
    assert.equal(unknownFlagError(['--zzzzzz'], specs, 'x')?.message, 'unknown flag --zzzzzz');
    assert.equal(unknownFlagError(['-x'], specs, 'x')?.message, 'unknown flag -x');
    assert.equal(unknownFlagError(['--count', '5'], specs, 'x'), undefined);
  });

  test('the CLI refuses with the suggestion and exit code 2, before doing anything', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'source/cli.tsx', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const plain = run('run', '--cout', '5');
    assert.equal(plain.status, 2);
    assert.equal(plain.stdout, '');
    assert.equal(
      plain.stderr,
      "error: unknown flag --cout (did you mean --count?)\n  fix: run 'visual-cortex run --help' for its options\n",
    );
    const json = run('embed', '--json', '--outptu', 'x');
    assert.equal(json.status, 2);
    assert.equal(JSON.parse(json.stdout).error.message, 'unknown flag --outptu (did you mean --embeddings?)');
  });
});
