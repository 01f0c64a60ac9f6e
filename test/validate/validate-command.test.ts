import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {truncate} from 'node:fs/promises';
import {join} from 'node:path';
import {PassThrough, Writable} from 'node:stream';
import {after, before, describe, test} from 'node:test';
import type {Io} from '../../source/commands/command.js';
import {validateCommand} from '../../source/commands/validate.js';
import {UserError} from '../../source/core/errors.js';
import {createRunFixture, type RunFixture} from './validate-fixture.js';

let fixture: RunFixture;

before(async () => {
  fixture = await createRunFixture();
});

after(async () => {
  await fixture?.cleanup();
});

function capture() {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    }),
    stderr: new Writable({
      write(chunk, _encoding, done) {
        err += String(chunk);
        done();
      },
    }),
    stdin: new PassThrough(),
  };
  return {io, out: () => out, err: () => err};
}

async function runCommand(flags: Record<string, unknown>) {
  const output = capture();
  const code = await validateCommand.run({
    input: [],
    flags: {
      json: false,
      embeddingsDir: fixture.embeddingsDir,
      sample: 3,
      modelsDir: fixture.modelsDir,
      ...flags,
    } as never,
    io: output.io,
    signal: new AbortController().signal,
    env: {},
    explicitFlags: new Set(),
  });
  return {code, out: output.out(), err: output.err()};
}

describe('visual-cortex validate', () => {
  test('prints one ✓ line per check and exits 0 when all pass', async () => {
    const {code, out} = await runCommand({seed: 3});
    assert.equal(code, 0);
    // A passed check may carry notes (indented lines under it, e.g. "JPEGs decode with sharp" where libturbojpeg
    // is missing): the check lines are found by their shape, not their position.
    const lines = out.trim().split('\n');
    const checkLines = lines.filter((line) => /^[✓✗-] \d\/5 /.test(line));
    assert.equal(checkLines.length, 5, out);
    assert.match(checkLines[0] ?? '', /^✓ 1\/5 Structure {2}3 outputs parse; 8 rows x 512$/);
    assert.match(checkLines[1] ?? '', /^✓ 2\/5 Imports \/ runtime /);
    assert.match(checkLines[4] ?? '', /^✓ 5\/5 Embeddings /);
    for (const line of lines.filter((line) => !checkLines.includes(line)).slice(0, -2)) {
      assert.match(line, /^ {4}· /, 'every other line above the verdict is a note under its check');
    }
    assert.match(out, /^5\/5 checks pass$/m);
    assert.match(out, /spot check: 3 images, seed 3/);
  });

  test('--json prints the report; a failure exits 1 and shows what failed and what was skipped', async () => {
    const json = await runCommand({json: true, sample: 1});
    assert.equal(json.code, 0);
    const report = JSON.parse(json.out);
    assert.equal(report.passed, true);
    assert.deepEqual(
      report.checks.map((check: {id: string; status: string}) => `${check.id}:${check.status}`),
      ['structure:passed', 'runtime:passed', 'errors:passed', 'metadata:passed', 'embeddings:passed'],
    );

    const broken = await fixture.copy('cli-broken');
    await truncate(join(broken, 'image_filenames.npy'), 20);
    const failed = await runCommand({embeddingsDir: broken});
    assert.equal(failed.code, 1);
    assert.match(failed.out, /^✗ 1\/5 Structure {2}image_filenames\.npy does not parse/m);
    assert.match(failed.out, /^- 2\/5 Imports \/ runtime {2}skipped: needs outputs that parse/m);
    assert.match(
      failed.out,
      /^0\/5 checks pass \(failed: 1 Structure; skipped: 2 Imports \/ runtime, 3 Errors/m,
    );
  });

  test('a missing folder is a user error (the CLI prints it with its fix and exits 2)', async () => {
    await assert.rejects(runCommand({embeddingsDir: join(fixture.root, 'nope')}), UserError);
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'source/cli.tsx', 'validate', '--dir', join(fixture.root, 'nope')],
      {encoding: 'utf8'},
    );
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /error: no output folder at .*nope\n {2}fix: pass --embeddings/);
  });
});
