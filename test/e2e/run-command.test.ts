/** The built binary without a terminal: presets through --preset (precedence), --json and plain `run`. */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'source', 'cli.js');
const IMAGES = join(ROOT, 'test', 'fixtures', 'images');
const MODEL = join(ROOT, 'test', 'fixtures', 'tiny-clip');

describe('run and presets from the built binary (no TTY)', () => {
  let dir: string;
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      encoding: 'utf8',
      input: '',
      env: {PATH: process.env.PATH, HOME: dir, VISUAL_CORTEX_CONFIG_DIR: join(dir, 'config')},
      timeout: HANG_GUARD_MS,
    });
    return {code: result.status, stdout: result.stdout, stderr: result.stderr};
  };

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
    dir = await mkdtemp(join(tmpdir(), 'vc-run-cmd-'));
  });
  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true});
  });

  test('--preset fills what was not typed; typed flags win; --json prints the combined report', () => {
    const saved = cli(
      'presets',
      'save',
      'local6',
      '--provider',
      'local',
      '--input-dir',
      IMAGES,
      '--count',
      '6',
    );
    assert.equal(saved.code, 0, saved.stderr);
    const run = cli(
      'run',
      '--preset',
      'local6',
      '--count',
      '3',
      '--model',
      MODEL,
      '--output-dir',
      'img',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.download.provider, 'local');
    assert.equal(report.download.requested, 3);
    assert.equal(report.embed.ok, 3);
    assert.equal(report.interrupted, false);
    assert.equal(report.outputFiles.length, 3);
  });

  test('plain lines without a TTY, and a resumed run downloads nothing new', () => {
    const run = cli(
      'run',
      '--preset',
      'local6',
      '--model',
      MODEL,
      '--output-dir',
      'img',
      '--embeddings-dir',
      'emb2',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /download: 3 to fetch \(3 already in/);
    assert.match(run.stdout, /embedded 6, failed 0/);
    assert.match(run.stdout, /wrote .*image_embeddings\.npy/);
  });

  test('a bad set-up, a missing preset and a corrupt presets file are user errors (exit 2), not crashes', async () => {
    const bad = cli('run', '--count', '0', '--workers', '99');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--count.*--workers|--workers.*--count/);
    const missing = cli('run', '--preset', 'nope');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no preset named 'nope'/);
    assert.match(missing.stderr, /local6/);
    await writeFile(join(dir, 'config', 'presets.json'), '{"formatVersion": 1, "pres');
    const corrupt = cli('presets', 'list');
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.stderr, /presets file .* is corrupt/);
    assert.doesNotMatch(corrupt.stderr, /internal error/);
  });

  test('an embeddings folder that cannot be made stops run before it downloads anything', async () => {
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const images = join(dir, 'never-made');
    const result = cli(
      'run',
      ...['--provider', 'local', '--input-dir', IMAGES, '--output-dir', images, '--count', '3'],
      ...['--embeddings-dir', join(dir, 'a-file', 'embeddings'), '--model', MODEL],
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /error: the output folder .*a-file\/embeddings cannot be made: .*a-file is a file/,
    );
    assert.match(result.stderr, /fix: pass a writable output folder/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.equal(existsSync(images), false, 'no download started');
  });
});
